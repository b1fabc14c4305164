/* tls.h - placeholder until the module lands. */
#ifndef OVPN_TLS_H
#define OVPN_TLS_H
#endif
