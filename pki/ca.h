/* ca.h - placeholder until the module lands. */
#ifndef OVPN_PKI_CA_H
#define OVPN_PKI_CA_H
#endif
