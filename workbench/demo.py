#!/usr/bin/python3
"""Inside the VM: the TCP-AO key ABI, and connections between two namespaces."""
import ctypes
import errno
import os
import socket
import struct
import sys

TCP_AUTHOPT, TCP_AUTHOPT_KEY = 38, 39
ADDR_BIND, PREFIXLEN = 1 << 2, 1 << 6
HMAC_SHA1, AES_CMAC = 1, 2


def key(send_id, recv_id, alg, secret, flags=0, addr=None, prefixlen=0):
    """struct tcp_authopt_key, cut after prefixlen as old binaries do."""
    ss = b''
    if addr:
        ss = struct.pack('=H2s4s', socket.AF_INET, b'\0\0', socket.inet_aton(addr))
    return (struct.pack('=IBBBB80s', flags, send_id, recv_id, alg, len(secret), secret)
            + ss.ljust(128, b'\0') + struct.pack('=II', 0, prefixlen))


def step(title, fn):
    try:
        fn()
        print(f'  {title}: ok')
    except OSError as e:
        print(f'  {title}: {errno.errorcode[e.errno]}')


def keys_demo():
    """Key management, the way a BGP daemon would do it."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    print('before net.ipv4.tcp_authopt=1:')
    step('add key', lambda: s.setsockopt(socket.IPPROTO_TCP, TCP_AUTHOPT_KEY,
                                         key(1, 1, HMAC_SHA1, b'bgp-secret')))
    with open('/proc/sys/net/ipv4/tcp_authopt', 'w') as f:
        f.write('1')
    print('after net.ipv4.tcp_authopt=1:')
    step('add AES-128-CMAC-96 key 7/9 for 198.51.100.2',
         lambda: s.setsockopt(6, TCP_AUTHOPT_KEY, key(7, 9, AES_CMAC, b'peer-2', ADDR_BIND,
                                                      '198.51.100.2')))
    step('add key 7/3 for 198.51.100.2 too (send_id 7 clashes: RFC 5925 ambiguity)',
         lambda: s.setsockopt(6, TCP_AUTHOPT_KEY, key(7, 3, HMAC_SHA1, b'x', ADDR_BIND,
                                                      '198.51.100.2')))
    step('add key 7/3 for 198.51.100.0/24 (less specific: allowed, shadowed)',
         lambda: s.setsockopt(6, TCP_AUTHOPT_KEY, key(7, 3, HMAC_SHA1, b'x', PREFIXLEN,
                                                      '198.51.100.0', 24)))
    step('add a key with algorithm 3', lambda: s.setsockopt(6, TCP_AUTHOPT_KEY,
                                                            key(3, 3, 3, b'x')))
    print('/proc/net/tcp_authopt (key material is never shown):')
    print(open('/proc/net/tcp_authopt').read(), end='')


def authopt_state(sock):
    flags, send, rnext, recv, recv_rnext = struct.unpack('=IBBBB', sock.getsockopt(6, TCP_AUTHOPT, 8))
    return (f'{"ACTIVE" if flags & 8 else "not authenticated"}, sending KeyID {send} '
            f'RNextKeyID {rnext}, peer sent KeyID {recv}')


def peer_demo(role, secret):
    """One side of an authenticated connection (B listens, A connects)."""
    with open('/proc/sys/net/ipv4/tcp_authopt', 'w') as f:
        f.write('1')
    me, peer, ids = (('198.51.100.2', '198.51.100.1', (9, 7)) if role == 'server'
                     else ('198.51.100.1', '198.51.100.2', (7, 9)))
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(6, TCP_AUTHOPT_KEY, key(ids[0], ids[1], AES_CMAC, secret.encode(), ADDR_BIND, peer))
    s.setsockopt(6, TCP_AUTHOPT, bytes(8))
    s.settimeout(4)
    try:
        if role == 'server':
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((me, 179))
            s.listen(1)
            c, _ = s.accept()
            data = c.recv(100)
            c.sendall(b'OPEN from ' + me.encode())
            print(f'  server {me}: got {data!r}; {authopt_state(c)}')
            c.close()
        else:
            s.connect((peer, 179))
            s.sendall(b'OPEN from ' + me.encode())
            print(f'  client {me}: got {s.recv(100)!r}; {authopt_state(s)}')
    except OSError as err:
        print(f'  {role} {me}: {err}')


if len(sys.argv) > 1 and sys.argv[1] in ('server', 'client'):
    peer_demo(sys.argv[1], sys.argv[2])
else:
    keys_demo()
