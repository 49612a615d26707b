"""Inline Vietnamese letters shared by several test modules."""

LAI_CHAU_LETTER = """ỦY BAN NHÂN DÂN
TỈNH LAI CHÂU

Số: 812/UBND-VX
Lai Châu, ngày 05 tháng 9 năm 2022

V/v đẩy mạnh tiêm vét vắc xin phòng COVID-19

Kính gửi: Sở Y tế; UBND các huyện, thành phố.

Thực hiện Công văn số 4968/BYT-DP ngày 16/9/2022 của Bộ Y tế, UBND tỉnh chỉ đạo như sau:

1. Giao Sở Y tế chủ trì, phối hợp với UBND các huyện, thành phố tổ chức tiêm vét cho người chưa tiêm đủ liều, mở điểm tiêm lưu động tại các xã vùng cao.

2. Sở Thông tin và Truyền thông chỉ đạo các cơ quan báo chí tuyên truyền lợi ích của tiêm vắc xin.

UBND tỉnh yêu cầu các cơ quan liên quan thực hiện nghiêm túc./.
"""

# Two short letters about other diseases (written for the disease filter tests).
DENGUE_LETTER = """ỦY BAN NHÂN DÂN
TỈNH TRÀ VINH

Số: 1475/UBND-KGVX
Trà Vinh, ngày 14 tháng 7 năm 2023

V/v tăng cường phòng, chống dịch bệnh sốt xuất huyết

Kính gửi: Sở Y tế; UBND các huyện, thị xã, thành phố.

Trước tình hình số ca mắc sốt xuất huyết tăng nhanh trong các tuần gần đây, UBND tỉnh chỉ đạo như sau:

1. Giao Sở Y tế chủ trì, phối hợp với UBND các huyện tổ chức chiến dịch diệt lăng quăng, bọ gậy tại các khu dân cư có ổ dịch.

2. UBND các huyện, thị xã, thành phố huy động người dân thu gom vật dụng chứa nước đọng quanh nhà, phun hóa chất diệt muỗi tại các ổ dịch mới.

UBND tỉnh yêu cầu các cơ quan, đơn vị triển khai thực hiện nghiêm túc./.
"""

RABIES_LETTER = """ỦY BAN NHÂN DÂN
TỈNH YÊN BÁI

Số: 2210/UBND-NLN
Yên Bái, ngày 03 tháng 10 năm 2023

V/v tăng cường công tác phòng, chống bệnh dại

Kính gửi: Sở Nông nghiệp và Phát triển nông thôn; Sở Y tế; UBND các huyện, thị xã, thành phố.

Để chủ động phòng, chống bệnh dại trên người và động vật, UBND tỉnh chỉ đạo như sau:

1. Giao Sở Nông nghiệp và Phát triển nông thôn chủ trì tổ chức tiêm vắc xin dại cho đàn chó, mèo, quản lý chặt chẽ việc nuôi chó tại các hộ gia đình.

2. Sở Y tế chỉ đạo các cơ sở y tế bảo đảm đủ vắc xin và huyết thanh kháng dại, hướng dẫn người bị chó cắn đến tiêm phòng kịp thời.

UBND tỉnh yêu cầu các cơ quan, đơn vị thực hiện nghiêm túc./.
"""
