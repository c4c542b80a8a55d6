#!/usr/bin/env python3
"""wire-check.py: check libvirt RPC traffic in a capture against Wireshark's libvirt dissector.

usage: wire-check.py [--port PORT]... [--verbose] CAPTURE
       wire-check.py --preflight
       wire-check.py --self-test

The dissector (Debian package libvirt-wireshark) is generated from libvirt's own protocol
files, so it is an oracle independent of virtwire's. By itself it only marks header damage
([Malformed Packet]) and bodies its decoder cannot finish (libvirt.unknown). This script runs
`tshark -2 -T pdml` over the capture and, for every libvirt PDU, also requires that

  * the decoded fields end exactly where the payload ends (libvirtd accepts trailing bytes
    after valid arguments, so a struct that is too long is only caught here);
  * a payload is empty only where the procedure has no body in that direction (args for a
    CALL, ret for a REPLY, msg for a MESSAGE: the dissector registers a field for each body
    it knows);
  * an ERROR reply carries a complete remote_error;
  * every TCP byte belongs to a PDU (no garbage between frames, no truncated frame).

Two defects of the libvirt 9.0 dissector on valid traffic are not reported (they are counted):
  * struct members named `type` are decoded as a 4-byte integer even where the protocol says
    string (the structs in STRING_TYPE_STRUCTS), so the rest of such a body is misread;
  * STREAM packets with fewer than 28 data bytes are marked malformed.
PDUs of procedures the dissector does not know (newer than its libvirt) are skipped, counted.

Output: one `FINDING key=value... message` line per problem, then one
`SUMMARY pdus=N calls=N replies=N messages=N streams=N unknown=N defects=N findings=N` line.
Exit status: 0 clean, 1 findings, 2 usage or tool failure. Python 3 standard library only.
"""

import os
import struct
import subprocess
import sys
import tempfile
import threading
import xml.etree.ElementTree as ET

# Program numbers and the prefix the dissector gives their body fields.
PROGRAMS = {
    0x20008086: "remote",
    0x20008087: "qemu",
    0x00068000: "lxc",
    0x6B656570: "keepalive",
}
TYPES = {0: "CALL", 1: "REPLY", 2: "MESSAGE", 3: "STREAM", 4: "CALL_WITH_FDS",
         5: "REPLY_WITH_FDS", 6: "STREAM_HOLE"}
BODY_KIND = {0: "args", 4: "args", 1: "ret", 5: "ret", 2: "msg"}
STATUS_OK, STATUS_ERROR, STATUS_CONTINUE = 0, 1, 2
HEADER_LEN = 28  # length word + 24-byte header

# Structs of libvirt's protocol with a string member named `type`, which the 9.0 dissector
# decodes as an integer (remote_domain_event_graphics_identity sits inside both graphics
# event messages).
STRING_TYPE_STRUCTS = {
    "remote_connect_get_type_ret",
    "remote_connect_get_max_vcpus_args",
    "remote_domain_get_scheduler_type_ret",
    "remote_domain_get_os_type_ret",
    "remote_connect_find_storage_pool_sources_args",
    "remote_domain_event_graphics_identity",
}

TSHARK_TIMEOUT = 600


def die(msg):
    print("wire-check: " + msg, file=sys.stderr)
    sys.exit(2)


def run(cmd, timeout=120):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        die("%s not found: install tshark and libvirt-wireshark (scripts/install-deps.sh)" % cmd[0])
    except subprocess.TimeoutExpired:
        die("%s took longer than %ds" % (" ".join(cmd), timeout))


def dissector_fields():
    """Abbreviations of every libvirt.* field the installed dissector registers."""
    out = run(["tshark", "-G", "fields"]).stdout
    fields = set()
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) > 2 and parts[0] == "F" and parts[2].startswith("libvirt."):
            fields.add(parts[2])
    if "libvirt.program" not in fields or "libvirt.remote_connect_open_args" not in fields:
        die("tshark has no libvirt dissector: install libvirt-wireshark")
    return fields


class Pdu:
    """The header of one libvirt PDU in the PDML, and where it starts."""

    def __init__(self, proto, frame):
        self.proto = proto
        self.frame = frame
        self.start = int(proto.get("pos", "0"))
        top = {}
        for f in proto:
            top.setdefault(f.get("name"), f)
        self.top = top

        def num(name, base=10):
            f = top.get(name)
            return None if f is None else int(f.get("show"), base)

        self.length = num("libvirt.length")
        self.program = num("libvirt.program", 16)
        self.procedure = num("libvirt.procedure")
        self.type = num("libvirt.type")
        self.serial = num("libvirt.serial")
        self.status = num("libvirt.status")
        pf = top.get("libvirt.procedure")
        name = pf.get("showname", "") if pf is not None else ""
        # "procedure: CONNECT_OPEN (1)" or "procedure: Unknown (444)"
        name = name.split(":", 1)[1].strip() if ":" in name else "?"
        self.proc_name = name.rsplit(" (", 1)[0]

    def describe(self):
        return "frame=%s type=%s proc=%s name=%s serial=%s status=%s len=%s" % (
            self.frame, TYPES.get(self.type, self.type), self.procedure, self.proc_name,
            self.serial, self.status, self.length)


def descendants(e):
    for c in e:
        yield c
        yield from descendants(c)


class Checker:
    def __init__(self, fields, verbose=False):
        self.fields = fields
        self.verbose = verbose
        self.findings = []
        self.notes = []
        self.counts = dict(pdus=0, calls=0, replies=0, messages=0, streams=0, unknown=0,
                           defects=0)

    def finding(self, pdu, msg):
        where = pdu.describe() if isinstance(pdu, Pdu) else "frame=%s" % pdu
        self.findings.append("FINDING %s %s" % (where, msg))

    def note(self, msg):
        if self.verbose:
            self.notes.append(msg)

    def check_pdu(self, pdu):
        c = self.counts
        c["pdus"] += 1
        if None in (pdu.length, pdu.program, pdu.procedure, pdu.type, pdu.serial, pdu.status):
            return self.finding(pdu, "incomplete libvirt header")
        if pdu.type in (0, 4):
            c["calls"] += 1
        elif pdu.type in (1, 5):
            c["replies"] += 1
        elif pdu.type == 2:
            c["messages"] += 1
        elif pdu.type in (3, 6):
            c["streams"] += 1
        else:
            return self.finding(pdu, "unknown packet type")
        prog = PROGRAMS.get(pdu.program)
        if prog is None:
            return self.finding(pdu, "unknown program %#x" % pdu.program)

        body_start = pdu.start + HEADER_LEN
        if pdu.type in (4, 5):
            if "libvirt.num_of_fds" not in pdu.top:
                return self.finding(pdu, "no fd count in a *_WITH_FDS packet")
            body_start += 4
        end = pdu.start + pdu.length
        payload = end - body_start
        if payload < 0:
            return self.finding(pdu, "length shorter than the header")
        body = [f for f in pdu.proto if f.get("name") not in (
            "libvirt.length", "libvirt.program", "libvirt.version", "libvirt.procedure",
            "libvirt.type", "libvirt.serial", "libvirt.status", "libvirt.num_of_fds")]

        if pdu.type in (3, 6) and pdu.status != STATUS_ERROR:
            return  # stream data or hole: raw bytes, not XDR (the dissector shows them as is)
        if pdu.proc_name == "Unknown" and pdu.status != STATUS_ERROR:
            c["unknown"] += 1
            self.note("skipped (procedure unknown to the dissector): " + pdu.describe())
            return
        unknown = [f for f in descendants(pdu.proto) if f.get("name") == "libvirt.unknown"]
        if unknown:
            at = int(unknown[0].get("pos")) - body_start
            return self.finding(pdu, "payload not decoded: the dissector gives up at payload "
                                "offset %d of %d (libvirt.unknown)" % (at, payload))

        if payload == 0:
            if pdu.status == STATUS_ERROR and pdu.type == 3:
                return  # a client aborting a stream sends an empty ERROR
            if pdu.status == STATUS_ERROR:
                return self.finding(pdu, "empty payload: an ERROR needs a remote_error")
            kind = BODY_KIND.get(pdu.type)
            struct_name = "%s_%s_%s" % (prog, pdu.proc_name.lower(), kind)
            if pdu.status == STATUS_OK and ("libvirt." + struct_name) in self.fields:
                return self.finding(pdu, "empty payload but the procedure has %s" % struct_name)
            return
        if not body:
            return self.finding(pdu, "%d payload bytes not decoded (the procedure has no %s)"
                                % (payload, "error body" if pdu.status == STATUS_ERROR
                                   else BODY_KIND.get(pdu.type, "body")))
        if len(body) != 1:
            return self.finding(pdu, "body decoded as %d separate fields" % len(body))
        leaves = [f for f in descendants(body[0]) if len(f) == 0 and f.get("size")]
        ends = [int(f.get("pos")) + int(f.get("size")) for f in leaves]
        ends.append(int(body[0].get("pos")))
        decoded_end = max(ends)
        problem = None
        if int(body[0].get("pos")) != body_start:
            problem = "body decoded from payload offset %d" % (
                int(body[0].get("pos")) - body_start)
        elif decoded_end < end:
            problem = "decoded %d of %d payload bytes (%d trailing bytes)" % (
                decoded_end - body_start, payload, end - decoded_end)
        elif decoded_end > end:
            problem = "decoded fields run %d bytes past the payload" % (decoded_end - end)
        if problem is None:
            return
        defect = [f.get("name") for f in descendants(pdu.proto)
                  if f.get("name", "").endswith(".type")
                  and f.get("name")[len("libvirt."):-len(".type")] in STRING_TYPE_STRUCTS]
        if defect:
            c["defects"] += 1
            self.note("skipped (dissector decodes string %s as an integer): %s: %s"
                      % (defect[0], pdu.describe(), problem))
            return
        self.finding(pdu, problem)

    def check(self, pcap, ports):
        cmd = ["tshark", "-n", "-2", "-r", pcap]
        for p in ports:
            cmd += ["-d", "tcp.port==%d,libvirt" % p]
        cmd += ["-T", "pdml"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # a stuck tshark must not hang the check
        timer = threading.Timer(TSHARK_TIMEOUT, proc.kill)
        timer.start()
        try:
            self._parse(proc.stdout)
        except ET.ParseError as e:
            proc.kill()
            die("cannot parse tshark's PDML: %s" % e)
        finally:
            proc.stdout.close()
            err = proc.stderr.read().decode(errors="replace")
            proc.wait()
            timer.cancel()
        if proc.returncode != 0:
            die("tshark failed (exit %s): %s" % (proc.returncode, err.strip()))

    def _parse(self, stream):
        last = None   # the last libvirt PDU of the current packet
        frame = None
        malformed = False
        for _, el in ET.iterparse(stream, events=("end",)):
            if el.tag == "proto":
                name = el.get("name")
                if name == "geninfo":
                    for f in el:
                        if f.get("name") == "num":
                            frame = f.get("show")
                elif name == "libvirt":
                    last = Pdu(el, frame)
                    self.check_pdu(last)
                elif name == "_ws.malformed" and el.get("hide") != "yes":
                    malformed = True
                    if (last is not None and last.type == 3 and last.length is not None
                            and last.length < HEADER_LEN * 2):
                        self.counts["defects"] += 1
                        self.note("skipped (dissector marks short STREAM chunks malformed): "
                                  + last.describe())
                    else:
                        self.finding(last or frame, el.get("showname") or "[Malformed Packet]")
            elif el.tag == "packet":
                fields = {f.get("name"): f for f in el.iter("field")}
                protos = {p.get("name") for p in el.iter("proto")}
                tcp_len = int(fields["tcp.len"].get("show")) if "tcp.len" in fields else 0
                if (tcp_len > 0 and not malformed and "libvirt" not in protos
                        and "tcp.reassembled_in" not in fields):
                    self.finding(frame, "%d TCP payload bytes that are not part of any libvirt "
                                 "PDU" % tcp_len)
                el.clear()
                last, frame, malformed = None, None, False

    def report(self):
        for f in self.findings:
            print(f)
        for n in self.notes:
            print("NOTE " + n)
        c = self.counts
        print("SUMMARY pdus=%d calls=%d replies=%d messages=%d streams=%d unknown=%d "
              "defects=%d findings=%d" % (c["pdus"], c["calls"], c["replies"], c["messages"],
                                          c["streams"], c["unknown"], c["defects"],
                                          len(self.findings)))


def preflight():
    """Checks that tshark, the libvirt dissector and a capture on lo work (a 1 s capture)."""
    v = run(["tshark", "--version"]).stdout.splitlines()
    fields = dissector_fields()
    with tempfile.TemporaryDirectory(prefix="wire-check-") as d:
        out = os.path.join(d, "preflight.pcapng")
        r = run(["dumpcap", "-q", "-i", "lo", "-f", "tcp port 9", "-a", "duration:1", "-w", out],
                timeout=60)
        if r.returncode != 0 or not os.path.exists(out):
            die("cannot capture on lo (root needed?): %s" % (r.stderr.strip() or r.stdout.strip()))
    print("wire-check preflight: %s; libvirt dissector with %d fields; capture on lo works"
          % (v[0].rstrip(".") if v else "tshark", len(fields)))


# ------------------------------------------------------------------ self-test
# Synthetic captures (IPv4 on a raw-IP link) with PDUs built here, to prove what the checker
# reports and what it deliberately lets through.

def xdr_string(s):
    b = s.encode()
    return struct.pack(">I", len(b)) + b + b"\0" * (-len(b) % 4)


def pdu(proc, typ, serial, status, payload, prog=0x20008086):
    return struct.pack(">IIIiiIi", HEADER_LEN + len(payload), prog, 1, proc, typ, serial,
                       status) + payload


def write_pcap(path, port, client_to_server, server_to_client):
    """One TCP connection 127.0.0.1:40000 -> 127.0.0.1:port; each item is one segment."""
    def csum(data):
        if len(data) % 2:
            data += b"\0"
        s = sum(struct.unpack(">%dH" % (len(data) // 2), data))
        s = (s >> 16) + (s & 0xFFFF)
        s += s >> 16
        return ~s & 0xFFFF

    def segment(src, dst, seq, ack, flags, data):
        tcp = struct.pack(">HHIIBBHHH", src, dst, seq, ack, 5 << 4, flags, 65535, 0, 0) + data
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                         b"\x7f\0\0\x01", b"\x7f\0\0\x01")
        ip = ip[:10] + struct.pack(">H", csum(ip)) + ip[12:]
        return ip + tcp

    cport, seq_c, seq_s = 40000, 1000, 5000
    packets = [segment(cport, port, seq_c, 0, 0x02, b""),
               segment(port, cport, seq_s, seq_c + 1, 0x12, b"")]
    seq_c += 1
    seq_s += 1
    packets.append(segment(cport, port, seq_c, seq_s, 0x10, b""))
    for i in range(max(len(client_to_server), len(server_to_client))):
        if i < len(client_to_server):
            d = client_to_server[i]
            packets.append(segment(cport, port, seq_c, seq_s, 0x18, d))
            seq_c += len(d)
        if i < len(server_to_client):
            d = server_to_client[i]
            packets.append(segment(port, cport, seq_s, seq_c, 0x18, d))
            seq_s += len(d)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 228))  # LINKTYPE_IPV4
        for n, p in enumerate(packets):
            f.write(struct.pack("<IIII", n, 0, len(p), len(p)) + p)


def self_test():
    fields = dissector_fields()
    port = 16509
    lookup = xdr_string("vw-running")
    dom = xdr_string("vw-running") + bytes(range(16)) + struct.pack(">i", 1)
    calls = [
        pdu(23, 0, 1, 0, lookup),                         # valid
        pdu(23, 0, 2, 0, lookup + b"\xde\xad\xbe\xef"),  # 4 trailing bytes
        pdu(23, 0, 3, 0, b""),                            # empty, has args
        pdu(157, 0, 4, 0, b"\0\0\0\0"),                   # void args + 4 bytes
        pdu(3, 0, 5, 0, b""),                             # CONNECT_GET_TYPE, void args
        pdu(209, 3, 6, 2, b"x" * 24),                     # short stream chunk (defect)
        pdu(444, 0, 7, 0, b"\0" * 8),                     # unknown to a 9.0 dissector
        pdu(208, 3, 9, 2, b"y" * 40),                     # stream chunk
        pdu(208, 3, 9, 1, b""),                           # client aborts the stream
        pdu(1, 2, 0, 0, b"", prog=0x6B656570),            # keepalive PING
        b"\0\0\0\x05\x01",                                # garbage, not a PDU
    ]
    replies = [
        pdu(23, 1, 1, 0, dom),
        pdu(23, 1, 2, 0, dom),
        pdu(23, 1, 3, 1, b""),                            # ERROR without remote_error
        pdu(157, 1, 4, 0, struct.pack(">Q", 9000000)),
        pdu(3, 1, 5, 0, xdr_string("TEST")),              # string `type` (defect)
        pdu(157, 1, 8, 0, struct.pack(">Q", 9000000) + b"\0\0\0\0"),  # reply too long
        pdu(2, 2, 0, 0, b"", prog=0x6B656570),            # keepalive PONG
    ]
    expect = {("CALL", "23", "2"): "trailing", ("CALL", "23", "3"): "empty payload",
              ("CALL", "157", "4"): "not decoded", ("REPLY", "23", "3"): "empty payload",
              ("REPLY", "157", "8"): "trailing"}
    with tempfile.TemporaryDirectory(prefix="wire-check-") as d:
        path = os.path.join(d, "self-test.pcap")
        write_pcap(path, port, calls, replies)
        ck = Checker(fields, verbose=True)
        ck.check(path, [port])
    got = {}
    garbage = 0
    for f in ck.findings:
        kv = dict(t.split("=", 1) for t in f.split() if "=" in t)
        if "type" in kv:
            got[(kv["type"], kv["proc"], kv["serial"])] = f
        else:
            garbage += 1
    ok = True
    for key, what in expect.items():
        if key not in got or what not in got[key]:
            print("self-test: expected a finding %s containing %r" % (key, what))
            ok = False
    for key in got:
        if key not in expect:
            print("self-test: unexpected finding: " + got[key])
            ok = False
    if garbage != 1:
        print("self-test: expected 1 finding for the 5 garbage bytes, got %d" % garbage)
        ok = False
    c = ck.counts
    if c["defects"] != 2 or c["unknown"] != 1:
        print("self-test: expected 2 defects and 1 unknown skipped, got %d and %d"
              % (c["defects"], c["unknown"]))
        ok = False
    ck.report()
    print("self-test %s" % ("passed" if ok else "FAILED"))
    return 0 if ok else 1


def main(argv):
    ports, verbose, pcap = [], False, None
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--port" and args:
            ports.append(int(args.pop(0)))
        elif a == "--verbose":
            verbose = True
        elif a == "--preflight":
            preflight()
            return 0
        elif a == "--self-test":
            return self_test()
        elif a.startswith("-") or pcap is not None:
            die("usage: wire-check.py [--port PORT]... [--verbose] CAPTURE | --preflight | "
                "--self-test")
        else:
            pcap = a
    if pcap is None:
        die("no capture file given")
    if not os.path.exists(pcap):
        die("no such capture: %s" % pcap)
    ck = Checker(dissector_fields(), verbose)
    ck.check(pcap, ports or [16509])
    ck.report()
    return 1 if ck.findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
