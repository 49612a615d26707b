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
