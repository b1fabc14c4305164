/* tun.h - placeholder until the module lands. */
#ifndef OVPN_TUN_H
#define OVPN_TUN_H
#endif
