"""End-to-end tests of attache mail against a real SMTP server on loopback
(aiosmtpd, tests/tools/smtpserver.py): STARTTLS with a test CA and a login,
a refused recipient retried alone, a connection dropped in the middle of a
message, re-runs that send nothing twice, and the messages themselves read
back with Python's email package."""
import email
import email.policy
import os
import re
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
import smtpserver  # noqa: E402

SAMPLE = os.path.join(ROOT, "samples", "asean.xml")
BATCH = "aec-ascc-2"
FROM = "HR Office <hr@example.org>"
ADDRESSES = {
    "kh-2015-01": "ratha@example.org", "vn-2015-02": "thuha@example.org",
    "la-2015-03": "phonesavanh@example.org", "mm-2015-04": "thiri@example.org",
    "kh-2015-06": "sovannarith@example.org",
}


def letters(t, data=SAMPLE):
    """Letters of one batch (five officers) into t.path('out')."""
    if not os.path.exists(t.path("k.key")):
        t.status(t.run(["keygen", "-o", t.path("k"), "--issuer", "asec"]), 0)
    r = t.run(["letters", data, "-o", t.path("out"), "-k", t.path("k.key"), "-q",
               "--batch", BATCH, "--assets", t.samples],
              env=t.env(SOURCE_DATE_EPOCH="1423440000"))
    t.status(r, 0)
    return t.path("out")


def server(t, **kw):
    srv = smtpserver.Server(**kw)
    t.at_end(srv.stop)
    return srv


def mail(t, srv_or_url, *extra, data=SAMPLE, env=None):
    url = srv_or_url if isinstance(srv_or_url, str) else srv_or_url.url
    return t.run(["mail", t.path("out"), "--data", data, "--smtp", url, "--from", FROM,
                  "--assets", t.samples] + list(extra), env=env, timeout=120)


def make_ca(t):
    """A test CA and a server certificate it signed for 127.0.0.1."""
    ca_key, ca, key, csr, cert, ext = (t.path(n) for n in
                                       ("ca.key", "ca.pem", "srv.key", "srv.csr", "srv.pem", "ext"))
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    t.sh(["openssl", "req", "-x509"] + ec + ["-days", "2", "-subj", "/CN=attache test CA",
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", ca_key, "-out", ca])
    t.sh(["openssl", "req", "-new"] + ec + ["-subj", "/CN=127.0.0.1", "-keyout", key,
          "-out", csr])
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    t.sh(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
          "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", cert])
    return ca, cert, key


def parse(received):
    return email.message_from_bytes(received.content, policy=email.policy.default)


def manifest_rows(out):
    with open(os.path.join(out, "manifest.csv")) as f:
        lines = f.read().splitlines()[1:]
    return [l.split(",") for l in lines]


def sent_to(srv):
    return [m.rcpt_tos[0] for m in srv.messages]


def test_starttls_with_a_test_ca_and_login_and_the_messages_themselves(t):
    out = letters(t)
    ca, cert, key = make_ca(t)
    srv = server(t, tls=(cert, key), require_starttls=True, login=("hr-mailer", "s3cret-pw!"))
    env = t.env(ATTACHE_SMTP_USER="hr-mailer", ATTACHE_SMTP_PASSWORD="s3cret-pw!")

    # the certificate is not trusted without the CA: nothing is sent or logged
    r = mail(t, srv, env=env)
    t.status(r, 69)
    t.match(r"^attache: smtp://127\.0\.0\.1:\d+: TLS: .*; for a private CA give --cacert FILE$",
            r.err)
    t.eq(srv.messages, [])
    t.ok(not os.path.exists(os.path.join(out, "mail-log.csv")) or
         open(os.path.join(out, "mail-log.csv")).read().count("\n") == 1, "nothing logged")

    # a wrong password is refused, and never shown
    r = mail(t, srv, "--cacert", ca, env=t.env(ATTACHE_SMTP_USER="hr-mailer",
                                                ATTACHE_SMTP_PASSWORD="wrong-pw"))
    t.status(r, 69)
    t.match(r"the server refused the login", r.err)
    t.ok("wrong-pw" not in r.err + r.out, "the password is never printed")

    r = mail(t, srv, "--cacert", ca, env=env)
    t.status(r, 0)
    t.ok("s3cret-pw!" not in r.err + r.out, "the password is never printed")
    t.eq(r.err, "")
    t.eq(len(srv.messages), 5)
    t.ok(all(m.tls for m in srv.messages), "every message went over TLS")
    t.eq(sorted(sent_to(srv)), sorted(ADDRESSES.values()))

    rows = {row[3]: row for row in manifest_rows(out)}
    for m in srv.messages:
        msg = parse(m)
        officer = [o for o, a in ADDRESSES.items() if a == m.rcpt_tos[0]][0]
        row = rows[officer]
        t.eq(m.mail_from, "hr@example.org")
        t.eq(msg["From"].addresses[0].addr_spec, "hr@example.org")
        t.eq(msg["From"].addresses[0].display_name, "HR Office")
        t.eq(msg["To"].addresses[0].addr_spec, ADDRESSES[officer])
        t.eq(msg["To"].addresses[0].display_name, row[4])
        t.ok(msg["Date"] is not None and msg["Date"].datetime is not None, "Date")
        t.match(r"^<[^<>@\s]+@example\.org>$", msg["Message-ID"], "Message-ID")
        t.eq(msg["Subject"], "Your attachment letter: Attachment Programme for AEC and ASCC "
                             "Involvement at the ASEAN Secretariat, 2nd batch")
        t.eq(msg.get_content_type(), "multipart/mixed")
        body = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
        t.match(rf"^Dear M[rs]+\. {re.escape(row[4])},$", body)
        t.match(r"2nd batch of the Attachment Programme for AEC and ASCC", body)
        t.match(r"^Director, Finance, Industry and Infrastructure Directorate$", body)
        atts = list(msg.iter_attachments())
        t.eq(len(atts), 1)
        t.eq(atts[0].get_content_type(), "application/pdf")
        t.eq(atts[0].get_filename(), os.path.basename(row[5]))
        t.eq(atts[0]["Content-Transfer-Encoding"], "base64")
        with open(os.path.join(out, row[5]), "rb") as f:
            t.ok(atts[0].get_content() == f.read(), f"{officer}: the attachment is the PDF")
        for line in m.content.split(b"\r\n"):
            t.ok(len(line) <= 78, f"a line of {len(line)} bytes")
            t.ok(max(line, default=0) < 0x80, "the message is 7-bit")

    # the Vietnamese name is encoded per RFC 2047 and decodes back
    vn = [m for m in srv.messages if m.rcpt_tos[0] == ADDRESSES["vn-2015-02"]][0]
    t.match(r"^To: =\?UTF-8\?B\?", vn.content.decode("ascii"))
    t.eq(parse(vn)["To"].addresses[0].display_name, "Nguyễn Thị Thu Hà")


def test_refused_recipient_then_retried_alone_then_nothing(t):
    letters(t)
    srv = server(t)
    srv.refuse.add(ADDRESSES["mm-2015-04"])
    r = mail(t, srv)
    t.status(r, 69)
    t.eq(r.err, "attache: thiri@example.org: the server refused aec-ascc-2/mm-2015-04-letter.pdf"
                " for officer 'mm-2015-04': 550 5.1.1 <thiri@example.org>: Recipient address "
                "rejected: mailbox unavailable\n")
    t.match(r"^out: 4 sent, 1 refused$", r.out.replace(t.tmp + "/", ""))
    t.eq(len(srv.messages), 4)

    srv.refuse.clear()
    r = mail(t, srv)
    t.status(r, 0)
    t.eq(sent_to(srv)[4:], ["thiri@example.org"], "only the refused one is sent again")
    t.match(r"4 sent before", r.out)

    r = mail(t, srv)
    t.status(r, 0)
    t.eq(len(srv.messages), 5, "a third run sends nothing")
    t.match(r": 5 sent before$", r.out)


def test_connection_dropped_mid_message(t):
    letters(t)
    srv = server(t)
    srv.drop(1)
    r = mail(t, srv)
    t.status(r, 69)
    t.eq(srv.handler.drops, 1)
    t.match(r"^attache: ratha@example\.org: aec-ascc-2/kh-2015-01-letter\.pdf for officer "
            r"'kh-2015-01' did not get through \(.+\); run again to retry$", r.err)
    t.eq(len(r.err.splitlines()), 1)
    t.eq(sorted(sent_to(srv)), sorted(a for o, a in ADDRESSES.items() if o != "kh-2015-01"),
         "the others went on")
    r = mail(t, srv)
    t.status(r, 0)
    t.eq(sent_to(srv)[4:], ["ratha@example.org"])
    r = mail(t, srv)
    t.status(r, 0)
    t.eq(len(srv.messages), 5)


def test_dry_run_and_officers_without_an_address(t):
    with open(SAMPLE, encoding="utf-8") as f:
        data = f.read().replace("<email>phonesavanh@example.org</email>", "")
    path = t.path("data.xml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(data)
    letters(t, path)
    srv = server(t)
    r = mail(t, srv, "--dry-run", data=path)
    t.status(r, 65)
    t.eq(srv.messages, [], "a dry run sends nothing")
    t.ok(not os.path.exists(t.path("out", "mail-log.csv")), "and writes no log")
    lines = r.out.splitlines()
    t.eq(len(lines), 5)
    t.match(r'^would send aec-ascc-2/vn-2015-02-letter\.pdf to Nguyễn Thị Thu Hà '
            r'<thuha@example\.org>: "Your attachment letter: .*, 2nd batch" \(\d+ KB\)$', r.out)
    t.match(r": dry run, nothing sent: 4 to send, 1 without an address$", lines[-1])
    t.eq(r.err, "attache: officer 'la-2015-03' (Phonesavanh Sisouphanh) has no <email> in the "
                "data: aec-ascc-2/la-2015-03-letter.pdf not sent\n")

    r = mail(t, srv, data=path)
    t.status(r, 65)
    t.eq(len(srv.messages), 4)
    t.match(r"la-2015-03", r.err)


def test_smtps(t):
    letters(t)
    ca, cert, key = make_ca(t)
    srv = server(t, tls=(cert, key), implicit_tls=True)
    r = mail(t, srv, "--cacert", ca)
    t.status(r, 0)
    t.eq(len(srv.messages), 5)
    t.ok(all(m.tls for m in srv.messages), "TLS")


def test_rate_limit(t):
    letters(t)
    srv = server(t)
    start = time.monotonic()
    r = mail(t, srv, "--rate", "120")      # one message every half second
    t.status(r, 0)
    t.ok(time.monotonic() - start >= 2.0, "five messages at 120 a minute take 2 s or more")


def test_plain_smtp_only_to_loopback(t):
    letters(t)
    srv = server(t, host="0.0.0.0")
    # the machine's own address that is not loopback, if it has one
    import socket
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))
            own = s.getsockname()[0]
    except OSError:
        own = None
    if own and not own.startswith("127."):
        r = mail(t, f"smtp://{own}:{srv.port}")
        t.status(r, 69)
        t.match(r"the server does not offer STARTTLS, and TLS is required except to loopback",
                r.err)
        t.eq(srv.messages, [])
    r = mail(t, f"smtp://127.0.0.1:{srv.port}")
    t.status(r, 0)
    t.eq(len(srv.messages), 5)


def test_body_template_and_usage(t):
    letters(t)
    srv = server(t)
    body = t.path("body.txt")
    with open(body, "w") as f:
        f.write("Subject: Welcome, {name}\n\nDear {honorific} {name},\n\nfrom the {minstry}.\n")
    r = mail(t, srv, "--body", body)
    t.status(r, 65)
    t.eq(r.err, f"attache: {body}:5: unknown field '{{minstry}}' (the fields are {{name}}, "
                "{honorific}, {programme}, {batch}, {batch-id}, {issuer}, {signatory}, "
                "{signatory-title}, {file})\n")
    t.eq(srv.messages, [])
    with open(body, "w") as f:
        f.write("Subject: Bienvenue, {name} {{ok}}\n\nCher/Chère {name},\n\n{file}\n")
    r = mail(t, srv, "--body", body)
    t.status(r, 0)
    msg = parse(srv.messages[1])
    t.eq(msg["Subject"], "Bienvenue, Nguyễn Thị Thu Hà {ok}")
    t.eq(msg.get_body(("plain",)).get_content(),       # text in MIME has CRLF line ends
         "Cher/Chère Nguyễn Thị Thu Hà,\r\n\r\nvn-2015-02-letter.pdf\r\n")

    r = t.run(["mail", t.path("out"), "--data", SAMPLE, "--from", FROM, "--smtp",
               "smtp://user:pw@127.0.0.1:25"])
    t.status(r, 64)
    t.match(r"a login in the URL is refused", r.err)
    t.ok("pw@" not in r.err, "the password is not shown")
    r = t.run(["mail", t.path("out"), "--data", SAMPLE, "--from", FROM, "--smtp",
               "http://127.0.0.1/"])
    t.status(r, 64)
    r = t.run(["mail", t.path("out"), "--data", SAMPLE, "--from", "not an address",
               "--smtp", srv.url])
    t.status(r, 64)
    t.match(r"the sender 'not an address' is not an address", r.err)
    r = t.run(["mail", t.path("out"), "--data", SAMPLE, "--smtp", srv.url])
    t.status(r, 64)
    t.match(r"mail needs --from ADDR", r.err)
    r = t.run(["mail", "--help"])
    t.status(r, 0)
    t.match(r"^usage: attache mail DIR --data DATA --smtp URL --from ADDR", r.out)


def test_changed_document_is_not_sent(t):
    out = letters(t)
    row = manifest_rows(out)[0]
    with open(os.path.join(out, row[5]), "ab") as f:
        f.write(b"%% changed\n")
    srv = server(t)
    r = mail(t, srv)
    t.status(r, 65)
    t.match(r"^attache: .*/out/aec-ascc-2/kh-2015-01-letter\.pdf: not sent to officer "
            r"'kh-2015-01': the file is not the one the manifest lists", r.err)
    t.eq(len(srv.messages), 4)


def test_a_server_that_cannot_be_reached(t):
    letters(t)
    port = smtpserver.free_port()          # nothing listens there
    r = mail(t, f"smtp://127.0.0.1:{port}")
    t.status(r, 69)
    t.match(rf"^attache: smtp://127\.0\.0\.1:{port}: .*connect", r.err)
    t.eq(len(r.err.splitlines()), 1)
    t.eq(r.out, "", "no summary of a mailing that never started")
    r = t.run(["mail", t.path("nowhere"), "--data", SAMPLE, "--from", FROM, "--smtp",
               f"smtp://127.0.0.1:{port}"])
    t.status(r, 66)
    t.eq(r.out, "")
