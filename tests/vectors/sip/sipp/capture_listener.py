# Throwaway UDP listener on 127.0.0.1: saves the first datagram, answers 200 OK.
import socket, sys, re
out, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', port)); s.settimeout(secs)
saved = False
try:
    while True:
        data, peer = s.recvfrom(65535)
        if not saved:
            open(out, 'wb').write(data); saved = True
        head = data.split(b'\r\n\r\n')[0].split(b'\r\n')
        if head[0].startswith(b'SIP/2.0'): continue
        keep = [l for l in head[1:] if re.match(rb'(?i)(via|from|to|call-id|cseq)\s*:', l)]
        resp = b'SIP/2.0 200 OK\r\n' + b'\r\n'.join(l + (b';tag=cap1' if l.lower().startswith(b'to:') else b'') for l in keep) + b'\r\nSIP-ETag: e1\r\nContent-Length: 0\r\n\r\n'
        s.sendto(resp, peer)
except socket.timeout:
    pass
print('saved' if saved else 'nothing', out)
