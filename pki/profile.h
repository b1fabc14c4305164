/* profile.h - placeholder until the module lands. */
#ifndef OVPN_PKI_PROFILE_H
#define OVPN_PKI_PROFILE_H
#endif
