#!/usr/bin/python3
"""Write a data file with N officers for the benchmark (standard library only).

    gen-data.py N OUT.xml

Officers are graduated, in batches of 500, with Vietnamese, Khmer, Lao and
Myanmar names in Latin script; the issuer, programme and signatory are those
of the samples (their images are expected in assets/ beside OUT.xml)."""
import random
import sys

n, out = int(sys.argv[1]), sys.argv[2]
random.seed(16)
given = ["Nguyễn Thị Thu", "Trần Đức", "Phạm Thị Ngọc", "Lê Hoàng", "Đặng Quang", "Tôn Nữ Thị Phương",
         "Chhy", "Sok", "Chea", "Keo", "Htet Htet", "Aung Ko", "Thiri", "Zin Mar", "Phonesavanh",
         "Souksavanh", "Vilayphone", "Bounmy"]
family = ["Hà", "Mạnh", "Ánh", "Yến", "Huy", "Thảo", "Ratha", "Chanthy", "Sovannarith", "Sreypov",
          "Htoo", "Ko", "Kyaw", "Oo", "Sisouphanh", "Keomany", "Inthavong", "Phommachanh"]
countries = ["VN"] * 6 + ["KH"] * 4 + ["MM"] * 4 + ["LA"] * 4
divisions = ["Trade Facilitation Division", "Services and Investment Division",
             "Finance Integration Division", "Health Division", "Environment Division",
             "Social Welfare, Women, Labour and Migrant Workers Division"]
with open(out, "w", encoding="utf-8") as f:
    w = f.write
    w('<?xml version="1.0" encoding="UTF-8"?>\n<attache version="1">\n')
    w('  <issuer id="asec"><name>ASEAN Secretariat</name>'
      '<address>70A Jalan Sisingamangaraja, Jakarta 12110, Indonesia</address>'
      '<verify-url>https://verify.example.org/v/</verify-url><logo src="assets/logo.png"/></issuer>\n')
    w('  <programme id="aec-ascc"><title>Attachment Programme for AEC and ASCC Involvement at the '
      'ASEAN Secretariat</title><initiative>Initiative for ASEAN Integration (IAI)</initiative>'
      '<sponsor>Government of Japan, through the Japan-ASEAN Integration Fund (JAIF)</sponsor>\n')
    for b in range((n + 499) // 500):
        w(f'    <batch id="b{b + 1}" number="{b + 1}" start="2015-02-09" end="2016-02-05">'
          '<signatory><name>Tran Dong Phuong</name><title>Director, Finance, Industry and '
          'Infrastructure Directorate</title><signature src="assets/sig-tdp.png"/></signatory>'
          '<induction start="2015-02-09" end="2015-02-13">')
        for d in range(5):
            for s, (a, e) in enumerate([("09:00", "10:30"), ("10:45", "12:00"), ("13:30", "15:00")]):
                w(f'<session date="2015-02-{9 + d:02d}" start="{a}" end="{e}" kind="briefing">'
                  f'<topic>Induction session {d * 3 + s + 1}: the work of the ASEAN Secretariat'
                  f'</topic><venue>ASEC Heritage Building, Room {s + 1}</venue>'
                  f'<speaker>Community Relations Division</speaker></session>')
        w('</induction>\n')
        for i in range(b * 500, min(n, b * 500 + 500)):
            k = random.randrange(len(given))
            name = f"{given[k]} {family[random.randrange(len(family))]}"
            w(f'      <officer id="o-{i}" status="graduated"><name>{name}</name>'
              f'<honorific>{random.choice(["Ms.", "Mr."])}</honorific>'
              f'<country code="{countries[k]}"/><ministry>Ministry of Foreign Affairs</ministry>'
              f'<placement department="AEC" division="{random.choice(divisions)}">'
              f'<supervisor>Siti Rahmawati</supervisor></placement></officer>\n')
        w('    </batch>\n')
    w('  </programme>\n</attache>\n')
