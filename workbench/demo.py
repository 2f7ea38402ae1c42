#!/usr/bin/python3
"""Inside the VM: exercise the TCP-AO key ABI the way a BGP daemon would."""
import ctypes
import errno
import os
import socket
import struct

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


libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(0x40000000):  # CLONE_NEWNET
    raise OSError(ctypes.get_errno(), 'unshare')
os.system('ip link set lo up')
print(f'kernel {os.uname().release}, in a new network namespace')
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print('before net.ipv4.tcp_authopt=1:')
step('add key', lambda: s.setsockopt(socket.IPPROTO_TCP, TCP_AUTHOPT_KEY,
                                     key(1, 1, HMAC_SHA1, b'bgp-secret')))
with open('/proc/sys/net/ipv4/tcp_authopt', 'w') as f:
    f.write('1')
print('after net.ipv4.tcp_authopt=1:')
step('add HMAC-SHA-1-96 key 1/1 for any peer',
     lambda: s.setsockopt(6, TCP_AUTHOPT_KEY, key(1, 1, HMAC_SHA1, b'bgp-secret')))
step('add AES-128-CMAC-96 key 7/9 for 198.51.100.2',
     lambda: s.setsockopt(6, TCP_AUTHOPT_KEY, key(7, 9, AES_CMAC, b'peer-2', ADDR_BIND,
                                                  '198.51.100.2')))
step('add key 1/2 for any peer (send_id 1 clashes: RFC 5925 ambiguity)',
     lambda: s.setsockopt(6, TCP_AUTHOPT_KEY, key(1, 2, HMAC_SHA1, b'x')))
step('add key 1/2 for 203.0.113.0/24 (more specific: allowed)',
     lambda: s.setsockopt(6, TCP_AUTHOPT_KEY, key(1, 2, HMAC_SHA1, b'x', PREFIXLEN,
                                                  '203.0.113.0', 24)))
step('add a key with algorithm 3', lambda: s.setsockopt(6, TCP_AUTHOPT_KEY, key(3, 3, 3, b'x')))
print('/proc/net/tcp_authopt (key material is never shown):')
print(open('/proc/net/tcp_authopt').read(), end='')
