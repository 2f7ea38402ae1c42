# SPDX-License-Identifier: GPL-2.0-or-later
"""Python helpers for the tcp_authopt (TCP-AO) selftests.

tcp_authopt_algo is an independent TCP-AO implementation (KDF, MAC, option
parsing, SNE) used as a reference; vectors loads the RFC 9235 / RFC 9187 data
shipped in this directory; test_vectors checks the former against the latter
(run: python3 -m pytest -q tcp_authopt_test).
"""
