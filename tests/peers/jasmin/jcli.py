#!/usr/bin/env python3
"""Drive Jasmin's jCli (telnet console) without telnetlib (removed in Python 3.13).

usage: jcli.py [--host 127.0.0.1] [--port 8990] [--timeout 10] [--user U --password P] < commands
One jCli line per stdin line; blank lines and lines starting with '#' are skipped.
Prints the whole transcript. Exits non-zero on a timeout or when the console answers with
a known failure text (Unknown command / Error / Incorrect / required / Failed / Unknown).
"""
import argparse, re, socket, sys, time

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
PROMPTS = (b"jcli : ", b"> ", b"Username: ", b"Password: ")
PROMPTS_STR = tuple(p.decode() for p in PROMPTS)
FAIL = re.compile(r"(Unknown command|Error|Incorrect|required|Failed|Unknown|Cannot|not found|Invalid)",
                  re.I)


class Jcli:
    def __init__(self, host, port, timeout):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.timeout = timeout
        self.buf = b""

    def _strip_telnet(self, data):
        out, i = bytearray(), 0
        while i < len(data):
            b = data[i]
            if b == IAC and i + 1 < len(data):
                cmd = data[i + 1]
                if cmd in (DO, DONT, WILL, WONT) and i + 2 < len(data):
                    opt = data[i + 2]
                    # refuse every option: we are a dumb line terminal
                    if cmd == DO:
                        self.s.sendall(bytes([IAC, WONT, opt]))
                    elif cmd == WILL:
                        self.s.sendall(bytes([IAC, DONT, opt]))
                    i += 3
                    continue
                if cmd == SB:
                    j = data.find(bytes([IAC, SE]), i)
                    i = len(data) if j < 0 else j + 2
                    continue
                if cmd == IAC:
                    out.append(IAC)
                i += 2
                continue
            out.append(b)
            i += 1
        return bytes(out)

    def _ready(self, banner):
        if any(self.buf.endswith(p) for p in PROMPTS):
            return True
        # jCli prints no prompt after its banner until a line is typed
        return banner and re.search(rb"Session ref: \d+\r*\n", self.buf) is not None

    def read_prompt(self, banner=False):
        deadline = time.time() + self.timeout
        while not self._ready(banner):
            if time.time() > deadline:
                raise TimeoutError("no jcli prompt; got: %r" % self.buf[-300:])
            self.s.settimeout(max(0.1, deadline - time.time()))
            data = self.s.recv(65536)
            if not data:
                raise ConnectionError("jcli closed; got: %r" % self.buf[-300:])
            self.buf += self._strip_telnet(data)
        out, self.buf = self.buf.decode(errors="replace"), b""
        return out

    def cmd(self, line):
        self.s.sendall(line.encode() + b"\r\n")
        return self.read_prompt()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8990)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--user", default="jcliadmin")
    ap.add_argument("--password", default="jclipwd")
    a = ap.parse_args()
    j = Jcli(a.host, a.port, a.timeout)
    first = j.read_prompt(banner=True)
    sys.stdout.write(first)
    if not first.endswith(PROMPTS_STR):
        first = j.cmd("")  # empty line: makes jCli print its prompt
        sys.stdout.write(first)
    if first.endswith("Username: "):
        sys.stdout.write(j.cmd(a.user))
        sys.stdout.write(j.cmd(a.password))
    failed = []
    for line in sys.stdin:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        out = j.cmd(line)
        sys.stdout.write(out)
        # the echo of the command itself can contain a failure word (e.g. a route named
        # "Error"): judge only what jcli answered after the echoed line
        answer = out.split("\n", 1)[1] if "\n" in out else ""
        if FAIL.search(answer):
            failed.append((line, answer.strip()))
    try:
        j.s.sendall(b"quit\r\n")
    except OSError:
        pass
    sys.stdout.write("\n")
    if failed:
        for line, ans in failed:
            print("JCLI FAILED: %r -> %r" % (line, ans), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
