/* peerinfo.h - placeholder until the module lands. */
#ifndef OVPN_PEERINFO_H
#define OVPN_PEERINFO_H
#endif
