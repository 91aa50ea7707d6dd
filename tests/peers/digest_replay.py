#!/usr/bin/env python3
"""Digest replay check against a running smartchat (issue 9, "Digest that cannot be replayed").

A plain UDP SIP client (standard library only), so the replay step can reuse captured
credentials byte for byte, which sipp cannot:

1. user00002 REGISTERs (digest) a contact on socket B, which answers MESSAGEs with 200.
2. user00001 sends a MESSAGE, gets 401, resends with MD5 digest (qop=auth, nc=1): 200, and B
   receives the body.
3. The captured Authorization is sent again on a new MESSAGE (new Call-ID, branch, body): it
   must get 401 and B must not receive it.
4. The same credentials with nc=2 but a digest uri that is not the Request-URI: 401.
5. An unknown local user gets the same 401 challenge as a known one (no 404).

Usage: digest_replay.py SERVER_PORT. Exit status 0 when every check holds.
"""
import hashlib
import random
import re
import select
import socket
import sys
import time

HOST = "127.0.0.1"
DOMAIN = "example.com"


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def rand():
    return "%x" % random.getrandbits(48)


class Ua:
    def __init__(self, user, password):
        self.user, self.password = user, password
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.port = self.sock.getsockname()[1]
        self.cseq = 1

    def request(self, method, ruri, to, body="", auth=None, expires=None):
        self.cseq += 1
        lines = [
            "%s %s SIP/2.0" % (method, ruri),
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport" % (HOST, self.port, rand()),
            "Max-Forwards: 70",
            "From: <sip:%s@%s>;tag=%s" % (self.user, DOMAIN, rand()),
            "To: <%s>" % to,
            "Call-ID: %s@%s" % (rand(), HOST),
            "CSeq: %d %s" % (self.cseq, method),
            "Contact: <sip:%s@%s:%d>" % (self.user, HOST, self.port),
        ]
        if expires is not None:
            lines.append("Expires: %d" % expires)
        if body:
            lines.append("Content-Type: text/plain")
        if auth:
            lines.append("Authorization: " + auth)
        lines.append("Content-Length: %d" % len(body.encode()))
        return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()

    def digest(self, method, uri, challenge, nc=1, user=None, password=None):
        user = user or self.user
        password = password or self.password
        nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
        cnonce = rand()
        ha1 = md5("%s:%s:%s" % (user, DOMAIN, password))
        ha2 = md5("%s:%s" % (method, uri))
        ncs = "%08x" % nc
        resp = md5("%s:%s:%s:%s:auth:%s" % (ha1, nonce, ncs, cnonce, ha2))
        return (
            'Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
            'algorithm=MD5, qop=auth, nc=%s, cnonce="%s"'
            % (user, DOMAIN, nonce, uri, resp, ncs, cnonce)
        )


def status_of(data):
    return int(data.split(b" ", 2)[1])


def challenge_of(data):
    for line in data.decode(errors="replace").split("\r\n"):
        if line.lower().startswith("www-authenticate:") and "MD5" in line:
            return line.split(":", 1)[1].strip()
    raise SystemExit("no MD5 challenge in:\n" + data.decode(errors="replace"))


def exchange(ua, bytes_, server, callee=None, wait=10.0):
    """Sends a request; returns the final response. Answers MESSAGEs arriving at callee with 200
    and records their bodies in callee.received."""
    ua.sock.sendto(bytes_, server)
    deadline = time.time() + wait
    socks = [ua.sock] + ([callee.sock] if callee else [])
    while time.time() < deadline:
        ready, _, _ = select.select(socks, [], [], max(0.0, deadline - time.time()))
        for s in ready:
            data, addr = s.recvfrom(65535)
            if s is ua.sock:
                if data.startswith(b"SIP/2.0 1"):
                    continue
                if data.startswith(b"SIP/2.0"):
                    return data
            else:
                answer_callee(callee, data, addr)
    raise SystemExit("no final response to:\n" + bytes_.decode(errors="replace"))


def answer_callee(callee, data, addr):
    if data.startswith(b"SIP/2.0"):
        return
    head, _, body = data.partition(b"\r\n\r\n")
    callee.received.append(body.decode(errors="replace"))
    keep = [l for l in head.decode().split("\r\n")[1:]
            if l.split(":", 1)[0].lower() in ("via", "from", "to", "call-id", "cseq")]
    resp = "SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n"
    callee.sock.sendto(resp.encode(), addr)


def drain(callee, seconds, server):
    deadline = time.time() + seconds
    while time.time() < deadline:
        ready, _, _ = select.select([callee.sock], [], [], max(0.0, deadline - time.time()))
        if ready:
            data, addr = callee.sock.recvfrom(65535)
            answer_callee(callee, data, addr)


def authed(ua, method, ruri, to, server, callee=None, body="", expires=None):
    first = exchange(ua, ua.request(method, ruri, to, body, expires=expires), server, callee)
    if status_of(first) != 401:
        raise SystemExit("%s without credentials: expected 401, got %r" % (method, first[:40]))
    auth = ua.digest(method, ruri, challenge_of(first))
    final = exchange(ua, ua.request(method, ruri, to, body, auth=auth, expires=expires), server, callee)
    return final, auth, challenge_of(first)


def main():
    server = (HOST, int(sys.argv[1]))
    callee = Ua("user00002", "secret00002")
    callee.received = []
    caller = Ua("user00001", "secret00001")
    reg_uri = "sip:%s" % DOMAIN
    final, _, _ = authed(callee, "REGISTER", reg_uri, "sip:user00002@%s" % DOMAIN, server, expires=300)
    assert status_of(final) == 200, final[:60]

    ruri = "sip:user00002@%s" % DOMAIN
    final, auth, chal = authed(caller, "MESSAGE", ruri, ruri, server, callee, body="original")
    assert status_of(final) == 200, "authenticated MESSAGE: %r" % final[:60]
    drain(callee, 0.5, server)
    assert "original" in callee.received, callee.received
    print("authenticated MESSAGE delivered")

    replay = exchange(caller, caller.request("MESSAGE", ruri, ruri, "replayed", auth=auth), server, callee)
    assert status_of(replay) == 401, "replay: expected 401, got %r" % replay[:60]
    drain(callee, 2.0, server)
    assert "replayed" not in callee.received, callee.received
    print("replayed Authorization refused with 401, not delivered")

    wrong_uri = caller.digest("MESSAGE", "sip:user00003@%s" % DOMAIN, chal, nc=2)
    other = exchange(caller, caller.request("MESSAGE", ruri, ruri, "wrong-uri", auth=wrong_uri), server, callee)
    assert status_of(other) == 401, "uri mismatch: expected 401, got %r" % other[:60]
    drain(callee, 1.0, server)
    assert "wrong-uri" not in callee.received, callee.received
    print("digest uri other than the Request-URI refused with 401")

    fresh = caller.digest("MESSAGE", ruri, chal, nc=3)
    ok = exchange(caller, caller.request("MESSAGE", ruri, ruri, "next-nc", auth=fresh), server, callee)
    assert status_of(ok) == 200, "nc=3 on the same nonce: expected 200, got %r" % ok[:60]
    print("higher nc on the same nonce accepted")

    ghost = Ua("nosuchuser", "x")
    g = exchange(ghost, ghost.request("REGISTER", reg_uri, "sip:nosuchuser@%s" % DOMAIN, expires=300), server)
    assert status_of(g) == 401, "unknown user: expected 401, got %r" % g[:60]
    gauth = ghost.digest("REGISTER", reg_uri, challenge_of(g))
    g2 = exchange(ghost, ghost.request("REGISTER", reg_uri, "sip:nosuchuser@%s" % DOMAIN, auth=gauth, expires=300), server)
    assert status_of(g2) == 401, "unknown user with credentials: expected 401, got %r" % g2[:60]
    print("unknown user challenged like a known one")
    print("ALL OK")


if __name__ == "__main__":
    main()
