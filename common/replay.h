/* replay.h - placeholder until the module lands. */
#ifndef OVPN_REPLAY_H
#define OVPN_REPLAY_H
#endif
