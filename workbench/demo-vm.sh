#!/bin/bash
# Inside the demo VM: two network namespaces on a veth link, A
# (198.51.100.1) and B (198.51.100.2), like two BGP routers.
set -e
py=$(dirname "$0")/demo.py
ip netns add A
ip netns add B
ip link add va netns A type veth peer name vb netns B
ip -n A addr add 198.51.100.1/24 dev va
ip -n B addr add 198.51.100.2/24 dev vb
for n in A B; do ip -n $n link set lo up; done
ip -n A link set va up
ip -n B link set vb up
echo "== managing keys in namespace A"
ip netns exec A /usr/bin/python3 "$py"
ip netns exec A sh -c 'echo 1 > /proc/sys/net/ipv4/tcp_authopt'
echo "== A connects to B, both with the same AES-128-CMAC-96 key (ids 7/9 and 9/7)"
ip netns exec B /usr/bin/python3 "$py" server bgp-secret &
sleep 0.5
ip netns exec A /usr/bin/python3 "$py" client bgp-secret
wait
echo "== again, but A has another key: no connection, B counts bad MACs"
ip netns exec B /usr/bin/python3 "$py" server bgp-secret &
sleep 0.5
ip netns exec A /usr/bin/python3 "$py" client wrong-secret || true
wait
ip netns exec B nstat -az TcpExtTCPAuthOptFailure | grep TcpExt
