# SPDX-License-Identifier: GPL-2.0
"""pytest configuration of the tcp_authopt Python tests.

Tests marked ``kernel`` need root and a kernel with tcp_authopt (they run in
the UML VM: ``-m kernel``); the rest runs anywhere (``-m "not kernel"``).
"""

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "kernel: needs root and a tcp_authopt kernel (network namespaces)")


@pytest.fixture
def pair():
    """A fresh pair of network namespaces joined by a veth (kernel tests)."""
    # Imported here: collecting the host-only tests needs no root.
    from .netns_util import NetnsPair

    p = NetnsPair()
    yield p
    p.close()
