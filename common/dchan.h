/* dchan.h - placeholder until the module lands. */
#ifndef OVPN_DCHAN_H
#define OVPN_DCHAN_H
#endif
