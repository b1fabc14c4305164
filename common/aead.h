/* aead.h - placeholder until the module lands. */
#ifndef OVPN_AEAD_H
#define OVPN_AEAD_H
#endif
