/* store.h - placeholder until the module lands. */
#ifndef OVPN_PKI_STORE_H
#define OVPN_PKI_STORE_H
#endif
