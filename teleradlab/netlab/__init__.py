"""An emulated-WAN lab: real DICOM software across a link with a rate and a round trip.

Two Linux network namespaces are joined by TUN devices and a packet-delay relay
(TCP stays end to end), with a ``tbf`` rate on each side. DICOM nodes — dcmtk's
storescu/storescp, pynetdicom, and Orthanc (C-STORE, STOW-RS, ZIP upload) — send a
study across it, and each run is set beside :func:`teleradlab.network.transfer.predict`.

    from teleradlab import netlab
    print(netlab.availability() or "the lab can run here")
    res = netlab.run_transfer("100x50kB", bandwidth_mbps=10, rtt_ms=50, sender="storescu")
    res.summary()

Needs root (namespaces, TUN); :func:`availability` says in one line what is missing.
"""

from teleradlab.netlab.link import EmulatedLink, availability, require

__all__ = ["EmulatedLink", "availability", "require"]
