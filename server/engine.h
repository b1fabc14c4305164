/* engine.h - placeholder until the module lands. */
#ifndef OVPN_ENGINE_H
#define OVPN_ENGINE_H
#endif
