"""End-to-end tests of the printed QR codes as phones meet them: modules
large enough (measured in the PDF), and every sample document's code read
back from a coarse 150 dpi render and from a simulated phone photo
(rotated, blurred, JPEG-compressed)."""
import os
import re
import subprocess

from docs_util import EPOCH, SAMPLE, keygen, manifest, pages, sample_with

PY = "/usr/bin/python3"
MM = 72 / 25.4

# the least module size each kind is printed with, in mm: GS1's minimum
# X-dimension for QR on documents, and a little less on the ID card, which is
# read from closer up
LEAST_MODULE = {"certificate": 0.396, "letter": 0.396, "induction": 0.33}
KINDS = (("certificates", "certificate"), ("letters", "letter"), ("induction", "induction"))

# the longest name in the tests of long texts (89 characters, 118 bytes):
# it makes the largest code the built-in templates allow, version 13
LONGEST = ("Công Tôn Nữ Hoàng Bảo Châu Nguyễn Phước Vĩnh Thụy Khải Định Đồng Khánh Hàm "
           "Nghi Kiến Phúc")

# A phone photo of a code: turned a few degrees, slightly out of focus (a
# Gaussian blur of 0.13 mm), and saved as a JPEG of middling quality
PHOTO = (
    "import sys\n"
    "from PIL import Image, ImageFilter\n"
    "im = Image.open(sys.argv[1]).convert('RGB')\n"
    "im = im.rotate(4, resample=Image.BICUBIC, expand=True, fillcolor=(120, 110, 100))\n"
    "im = im.filter(ImageFilter.GaussianBlur(float(sys.argv[3])))\n"
    "im.save(sys.argv[2], quality=60)\n")
PHOTO_DPI = 300
PHOTO_BLUR = 1.5          # pixels at 300 dpi: 0.13 mm


def generate(t, data=SAMPLE, extra=(), out=""):
    """Every kind of document for `data`: [(kind, pdf, row)]."""
    key = keygen(t)
    docs = []
    for cmd, kind in KINDS:
        folder = t.path(out + cmd)
        r = t.run([cmd, data, "-o", folder, "-k", key, "-q"] + list(extra),
                  env=t.env(SOURCE_DATE_EPOCH=EPOCH))
        t.status(r, 0, cmd)
        docs += [(kind, os.path.join(folder, row["file"]), row) for row in manifest(folder)]
    return docs


def qr_boxes(t, pdf):
    """The QR codes drawn in `pdf`: [(x, y, module, width)], x and y of the
    bottom left corner in points, the module's side in points, the code's
    width in modules (without the quiet zone).  Read from the content streams
    (uncompressed by qpdf): each code is an inline image mask of 4 x 4
    samples a module under a `cm` that scales the unit square to the code."""
    plain = t.path("plain.pdf")
    t.sh(["qpdf", "--qdf", "--object-streams=disable", pdf, plain])
    body = open(plain, "rb").read().decode("latin-1")
    num = r"(-?[\d.]+)"
    rx = re.compile(rf"{num} {num} {num} {num} {num} {num} cm\nBI /IM true /BPC 1 /W (\d+) /H (\d+) ID ")
    codes = []
    for m in rx.finditer(body):
        a, b, c, d, x, y = map(float, m.group(1, 2, 3, 4, 5, 6))
        side, height = int(m.group(7)), int(m.group(8))
        t.eq((b, c, a), (0, 0, d), f"{pdf}: a QR code drawn square and upright")
        t.eq((side % 4, height), (0, side), f"{pdf}: 4 x 4 samples a module")
        codes.append((x, y, a / (side // 4), side // 4))
    return codes


def qr_page(pdf, kind):
    """The page a document's code is checked on: the ID card's, the last of a pack."""
    return pages(pdf) if kind == "induction" else 1


def test_modules_are_large_enough_for_phones(t):
    """Every code of the samples, and the largest code the built-in templates
    allow (the longest name, version 13), has modules at least 0.396 mm on
    certificates and letters and 0.33 mm on the ID card."""
    longest = sample_with(t, "longest.xml",
                          lambda x: x.replace("<name>Chhy Ratha</name>", f"<name>{LONGEST}</name>"))
    docs = generate(t) + generate(t, longest, ["--officer", "kh-2015-01"], out="longest-")
    widths = set()
    for kind, pdf, row in docs:
        boxes = qr_boxes(t, pdf)
        t.ok(boxes, f"{row['file']}: no QR code found in the PDF")
        for x, y, module, width in boxes:
            mm = module / MM
            t.ok(mm >= LEAST_MODULE[kind], f"{row['file']}: modules of {mm:.3f} mm "
                 f"({width} modules in {mm * width:.1f} mm), less than {LEAST_MODULE[kind]} mm")
            t.eq((width - 17) % 4, 0, f"{row['file']}: {width} modules is not a QR version")
            widths.add(width)
    t.ok(69 in widths, f"the longest name makes a version 13 code (69 modules): {sorted(widths)}")


def test_every_code_reads_from_a_150_dpi_render(t):
    """A page rendered at 150 dpi (a fax, a cheap scan, a screen) still
    gives its code back, for every document of the samples."""
    for kind, pdf, row in generate(t):
        base = t.path("page")
        page = str(qr_page(pdf, kind))
        t.sh(["pdftoppm", "-r", "150", "-f", page, "-l", page, "-png", "-singlefile", pdf, base])
        z = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable",
                            base + ".png"], capture_output=True)
        t.eq(z.stdout.decode("utf-8", "replace").strip(), row["qr"],
             f"{row['file']} page {page} at 150 dpi")


def photo_of_code(t, pdf, kind, box, blur):
    """A simulated phone photo of the code and a hand's width around it; its path."""
    x, y, module, width = box
    page = qr_page(pdf, kind)
    out = subprocess.run(["pdfinfo", "-f", str(page), "-l", str(page), pdf],
                         capture_output=True).stdout.decode()
    height = float(re.search(rf"Page\s+{page} size:\s+[\d.]+ x ([\d.]+)", out).group(1))
    scale = PHOTO_DPI / 72
    margin = 15 * MM
    left, top = x - margin, height - (y + module * width) - margin
    side = module * width + 2 * margin
    base = t.path("crop")
    t.sh(["pdftoppm", "-r", str(PHOTO_DPI), "-f", str(page), "-l", str(page),
          "-x", str(max(0, int(left * scale))), "-y", str(max(0, int(top * scale))),
          "-W", str(int(side * scale)), "-H", str(int(side * scale)),
          "-png", "-singlefile", pdf, base])
    t.sh([PY, "-c", PHOTO, base + ".png", t.path("photo.jpg"), str(blur)])
    return t.path("photo.jpg")


def read_photo(path):
    z = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", path],
                       capture_output=True)
    return z.stdout.decode("utf-8", "replace").strip()


def test_every_code_reads_from_a_phone_photo(t):
    """Every document of the samples: its code, photographed a few degrees
    askew, slightly out of focus and saved as a JPEG, decodes."""
    for kind, pdf, row in generate(t):
        box = qr_boxes(t, pdf)[0]
        got = read_photo(photo_of_code(t, pdf, kind, box, PHOTO_BLUR))
        t.eq(got, row["qr"], f"{row['file']}: a photo of its code")


def test_the_photo_is_hard_enough_to_matter(t):
    """The control: the same photo of a code drawn as small as the ID card's
    used to be (18 mm, 0.26 mm modules at version 13) does not decode, so the
    photo test would catch codes shrinking back."""
    small = t.path("small.xml")
    tpl = open(os.path.join(t.root, "templates", "induction.xml"), encoding="utf-8").read()
    tpl, n = re.subn(r'<qr x="[^"]*" y="[^"]*" size="[^"]*"', '<qr x="128mm" y="89mm" size="18mm"',
                     tpl)
    t.eq(n, 1, "the ID card's code in the template")
    open(small, "w", encoding="utf-8").write(tpl)
    longest = sample_with(t, "longest.xml",
                          lambda x: x.replace("<name>Chhy Ratha</name>", f"<name>{LONGEST}</name>"))
    key = keygen(t)
    r = t.run(["render", small, longest, "-o", t.path("out"), "-k", key, "-q",
               "--officer", "kh-2015-01"], env=t.env(SOURCE_DATE_EPOCH=EPOCH))
    t.status(r, 0, "render")
    row = manifest(t.path("out"))[0]
    pdf = t.path("out", row["file"])
    box = qr_boxes(t, pdf)[0]
    t.ok(box[2] / MM < 0.27, f"modules of {box[2] / MM:.3f} mm")
    t.eq(read_photo(photo_of_code(t, pdf, "induction", box, 0)), row["qr"],
         "the small code, photographed sharp")
    t.eq(read_photo(photo_of_code(t, pdf, "induction", box, PHOTO_BLUR)), "",
         "the small code, photographed slightly out of focus")
