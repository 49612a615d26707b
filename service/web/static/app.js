/* congvan staff page: progressive enhancement only; every page works without this file
   (except multi-file upload with progress, label corrections and delete).
   Letter text never goes through innerHTML here: everything is built with textContent. */
(function () {
  "use strict";

  var doc = document;
  doc.documentElement.classList.add("js");

  function $(sel, root) { return (root || doc).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || doc).querySelectorAll(sel)); }
  function el(tag, cls, text) {
    var node = doc.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function csrfToken() {
    var meta = $('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  function labelsData() {
    var node = $("#labels-data");
    if (!node) return { themes: {}, agencies: {}, status: {} };
    try { return JSON.parse(node.textContent); } catch (e) { return { themes: {}, agencies: {}, status: {} }; }
  }
  /* The API answers {"detail": "…"} (a string, or a list for validation errors). */
  function errorText(status, body, fallback) {
    if (body && typeof body.detail === "string") return body.detail;
    if (body && Array.isArray(body.detail)) {
      return "Dữ liệu gửi lên không hợp lệ: " + body.detail.map(function (d) { return d.msg || ""; }).join("; ");
    }
    if (status === 401) return "Cần đăng nhập để làm việc này.";
    if (status === 403) return "Không được phép. Hãy tải lại trang rồi thử lại.";
    if (status === 413) return "Tệp quá lớn.";
    if (status === 429) return "Máy chủ đang bận xử lý các văn bản khác. Hãy thử lại sau ít giây.";
    if (status === 0) return "Không kết nối được với máy chủ. Kiểm tra mạng rồi thử lại.";
    if (status >= 500) return "Máy chủ gặp lỗi (" + status + "). Hãy thử lại sau hoặc báo người quản trị.";
    return fallback || ("Lỗi " + status);
  }
  function parseJSON(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  /* ------------------------------------------------------------ facets panel: collapsed on phones */
  function setupFacets() {
    var panel = $(".facets-panel");
    if (!panel || !window.matchMedia) return;
    var narrow = window.matchMedia("(max-width: 820px)");
    var summary = $("summary", panel);
    var apply = function () {
      panel.open = !narrow.matches;
      summary.tabIndex = narrow.matches ? 0 : -1;  // on wide screens it is only a heading
    };
    apply();
    if (narrow.addEventListener) narrow.addEventListener("change", apply);
    summary.addEventListener("click", function (e) { if (!narrow.matches) e.preventDefault(); });
  }

  /* ------------------------------------------------------------ "/" focuses the search box */
  function setupShortcut() {
    var box = $("#q");
    if (!box) return;
    doc.addEventListener("keydown", function (e) {
      var t = e.target;
      var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable);
      if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        box.focus();
        box.select();
      }
    });
  }

  /* ------------------------------------------------------------ letter view */
  function setupHitClause() {
    var hit = $(".clause.is-hit");
    if (!hit) return;
    if (location.hash !== "#" + hit.id) {
      hit.scrollIntoView({ block: "start" });
    }
    try { hit.focus({ preventScroll: true }); } catch (e) { /* old browsers */ }
  }

  function chipList(ids, labels, cls, title) {
    var row = el("div", "tag-row");
    row.appendChild(el("span", "tag-label", title + ":"));
    var ul = el("ul", "chips");
    ul.setAttribute("aria-label", title);
    ids.forEach(function (id) {
      var li = el("li", "chip " + cls, labels[id] || id);
      li.setAttribute("data-id", id);
      ul.appendChild(li);
    });
    row.appendChild(ul);
    return row;
  }

  /* diseases: ids, or undefined to keep the ones shown (a label correction does not change them) */
  function renderTags(container, themes, lead, support, diseases) {
    var data = labelsData();
    if (diseases === undefined) {
      diseases = $all(".chip-disease", container).map(function (li) { return li.getAttribute("data-id"); });
    }
    while (container.firstChild) container.removeChild(container.firstChild);
    if (!themes.length && !lead.length && !support.length && !diseases.length) return;
    var tags = el("div", "tags");
    if (themes.length) tags.appendChild(chipList(themes, data.themes, "chip-theme", "Chủ đề"));
    if (diseases.length) tags.appendChild(chipList(diseases, data.diseases || {}, "chip-disease", "Bệnh"));
    if (lead.length) tags.appendChild(chipList(lead, data.agencies, "chip-lead", "Chủ trì"));
    if (support.length) tags.appendChild(chipList(support, data.agencies, "chip-support", "Phối hợp"));
    container.appendChild(tags);
  }

  function idsOf(list) {
    return (list || []).map(function (x) { return typeof x === "string" ? x : (x && x.id); })
      .filter(function (x) { return !!x; });
  }

  function setupLabelForms() {
    $all(".labels-form").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var status = $(".form-status", form);
        var button = $('button[type="submit"]', form);
        var data = new FormData(form);
        var body = { themes: data.getAll("themes"), lead: data.getAll("lead"), support: data.getAll("support") };
        status.className = "form-status";
        status.textContent = "Đang lưu…";
        button.disabled = true;
        fetch(form.getAttribute("data-url"), {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrfToken() },
          body: JSON.stringify(body)
        }).then(function (resp) {
          return resp.text().then(function (text) { return { status: resp.status, ok: resp.ok, body: parseJSON(text) }; });
        }).then(function (r) {
          button.disabled = false;
          if (!r.ok) {
            var fallback = r.status === 404 || r.status === 405
              ? "Máy chủ chưa hỗ trợ sửa nhãn (thiếu POST /api/clauses/…/labels)." : null;
            status.className = "form-status is-error";
            status.textContent = errorText(r.status, r.body, fallback);
            return;
          }
          var b = r.body || {};
          var saved = b.new || b.clause || b;
          var ag = saved.agencies || {};
          var themes = saved.themes ? idsOf(saved.themes) : body.themes;
          var lead = ag.lead || saved.lead || body.lead;
          var support = ag.support || saved.support || body.support;
          var clause = form.closest(".clause");
          var box = clause ? $("[data-tags]", clause) : null;
          if (box) renderTags(box, themes, idsOf(lead), idsOf(support));
          status.className = "form-status is-ok";
          status.textContent = "Đã lưu nhãn.";
        }).catch(function () {
          button.disabled = false;
          status.className = "form-status is-error";
          status.textContent = errorText(0, null);
        });
      });
    });
  }

  function setupDelete() {
    var button = $("#delete-letter");
    if (!button) return;
    var status = $("#delete-status");
    button.addEventListener("click", function () {
      var subject = button.getAttribute("data-subject") || "";
      if (!window.confirm("Xóa văn bản “" + subject + "” khỏi kho? Không thể hoàn tác.")) return;
      button.disabled = true;
      fetch(button.getAttribute("data-url"), {
        method: "DELETE", credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRF-Token": csrfToken() }
      }).then(function (resp) {
        return resp.text().then(function (text) { return { status: resp.status, ok: resp.ok, body: parseJSON(text) }; });
      }).then(function (r) {
        if (r.ok) { window.location.href = "/"; return; }
        button.disabled = false;
        status.textContent = errorText(r.status, r.body);
      }).catch(function () { button.disabled = false; status.textContent = errorText(0, null); });
    });
  }

  /* ------------------------------------------------------------ upload */
  var ACCEPTED = [".txt", ".md", ".docx", ".doc", ".pdf"];

  function pathLabel(path, kind) {
    path = path || "";
    var names = { preamble: "Phần mở đầu", closing: "Phần kết" };
    for (var key in names) {
      if (path === key) return names[key];
      if (path.indexOf(key + ".") === 0) return names[key] + " (đoạn " + path.slice(key.length + 1) + ")";
    }
    if (!path) return kind === "directive" ? "Nội dung chỉ đạo" : "Đoạn";
    var parts = path.split(".");
    var head = parts.filter(function (p) { return !/^[-+]/.test(p); });
    var bullets = parts.filter(function (p) { return /^[-+]/.test(p); }).map(function (p) { return p.slice(1); });
    var label = head.length ? "Mục " + head.join(".") : "Ý";
    if (bullets.length) label += (head.length ? ", ý " : " ") + bullets.join(".");
    return label;
  }
  function formatDate(d) {
    if (!d || !d.year) return "Không rõ ngày";
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    if (d.month && d.day) return pad(d.day) + "/" + pad(d.month) + "/" + d.year;
    if (d.month) return "tháng " + d.month + "/" + d.year;
    return "năm " + d.year;
  }
  function numberText(n) {
    if (!n) return "Chưa có số";
    if (!/^\d/.test(n)) return "Số …" + n;
    return "Số " + n;
  }
  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1048576) return (bytes / 1024).toFixed(0) + " KB";
    return (bytes / 1048576).toFixed(1).replace(".", ",") + " MB";
  }

  function renderResult(item, body) {
    var data = labelsData();
    var d = body.document || {};
    var box = el("div", "upload-summary");
    var title = el("p", "result-title");
    var link = el("a", null, d.subject || "(Không có trích yếu)");
    link.href = "/letters/" + encodeURIComponent(body.doc_id);
    title.appendChild(link);
    box.appendChild(title);
    var meta = el("p", "meta");
    [d.doc_type, d.issuer, numberText(d.number), formatDate(d.date), (body.clauses || []).length + " đoạn"]
      .forEach(function (part) { if (part) meta.appendChild(el("span", null, part)); });
    box.appendChild(meta);
    var details = el("details");
    details.appendChild(el("summary", null, "Xem các đoạn và nhãn đã gắn"));
    var list = el("ol", "clauses compact");
    (body.clauses || []).forEach(function (c) {
      var li = el("li", "clause");
      var head = el("div", "clause-head");
      head.appendChild(el("span", "path-badge", pathLabel(c.path, c.kind)));
      li.appendChild(head);
      var text = c.text || "";
      li.appendChild(el("p", "clause-text", text.length > 260 ? text.slice(0, 257) + "…" : text));
      var tagBox = el("div");
      var ag = c.agencies || {};
      renderTags(tagBox, idsOf(c.themes), ag.lead || [], ag.support || [], c.diseases || []);
      li.appendChild(tagBox);
      list.appendChild(li);
    });
    details.appendChild(list);
    box.appendChild(details);
    item.appendChild(box);
    return data;
  }

  function setupUpload() {
    var form = $("#upload-form");
    if (!form) return;
    var input = $("#file", form);
    var zone = $("#dropzone", form);
    var list = $("#upload-list");
    var maxBytes = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    var statusText = labelsData().status || {};
    input.multiple = true;
    var queue = [];
    var active = 0;

    function addFiles(files) {
      Array.prototype.forEach.call(files, function (file) {
        var item = el("li", "upload-item");
        var head = el("div", "upload-head");
        head.appendChild(el("span", "upload-name", file.name));
        var state = el("span", "upload-state", "Đang chờ…");
        head.appendChild(state);
        item.appendChild(head);
        var bar = el("progress");
        bar.max = 100;
        bar.value = 0;
        bar.setAttribute("aria-label", "Tiến độ tải " + file.name);
        item.appendChild(bar);
        list.appendChild(item);
        var ext = (file.name.match(/\.[^.]+$/) || [""])[0].toLowerCase();
        if (ACCEPTED.indexOf(ext) < 0) {
          fail(item, state, bar, "Không nhận loại tệp “" + (ext || "không có đuôi") +
            "”; chỉ nhận .txt, .md, .docx, .doc, .pdf.");
          return;
        }
        if (maxBytes && file.size > maxBytes) {
          fail(item, state, bar, "Tệp quá lớn (" + formatSize(file.size) + "); giới hạn " + formatSize(maxBytes) + ".");
          return;
        }
        queue.push({ file: file, item: item, state: state, bar: bar });
      });
      pump();
    }

    function fail(item, state, bar, message) {
      item.classList.add("is-error");
      state.textContent = "Lỗi";
      if (bar.parentNode) bar.parentNode.removeChild(bar);
      var p = el("p", "upload-error", message);
      p.setAttribute("role", "alert");
      item.appendChild(p);
    }

    function pump() {
      while (active < 2 && queue.length) send(queue.shift());
    }

    function send(job) {
      active += 1;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/documents");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRF-Token", csrfToken());
      xhr.upload.onprogress = function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.round((e.loaded / e.total) * 100);
        job.bar.value = pct;
        job.state.textContent = "Đang tải lên " + pct + "%";
      };
      xhr.upload.onload = function () {
        job.bar.removeAttribute("value");  // indeterminate while the server reads and tags
        job.state.textContent = "Đang đọc và gắn nhãn…";
      };
      xhr.onload = function () {
        active -= 1;
        var body = parseJSON(xhr.responseText);
        if (xhr.status >= 200 && xhr.status < 300 && body && body.doc_id) {
          job.item.classList.add("is-done");
          job.item.setAttribute("data-doc-id", body.doc_id);
          job.state.textContent = statusText[body.status] || "Đã lưu";
          if (job.bar.parentNode) job.bar.parentNode.removeChild(job.bar);
          renderResult(job.item, body);
        } else {
          fail(job.item, job.state, job.bar, errorText(xhr.status, body));
        }
        pump();
      };
      xhr.onerror = function () {
        active -= 1;
        fail(job.item, job.state, job.bar, errorText(0, null));
        pump();
      };
      var data = new FormData();
      data.append("file", job.file, job.file.name);
      xhr.send(data);
      job.state.textContent = "Đang tải lên…";
    }

    input.addEventListener("change", function () {
      if (input.files && input.files.length) addFiles(input.files);
      input.value = "";
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (input.files && input.files.length) addFiles(input.files);
    });
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.add("is-over"); });
    });
    ["dragleave", "dragend"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("is-over"); });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      zone.classList.remove("is-over");
      if (e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files.length) addFiles(e.dataTransfer.files);
    });
    zone.addEventListener("click", function (e) {
      if (e.target === zone || (e.target.closest && !e.target.closest("label, input, a"))) input.click();
    });
  }

  function init() {
    setupFacets();
    setupShortcut();
    setupHitClause();
    setupLabelForms();
    setupDelete();
    setupUpload();
  }
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init);
  else init();
})();
