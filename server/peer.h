/* peer.h - placeholder until the module lands. */
#ifndef OVPN_PEER_H
#define OVPN_PEER_H
#endif
