/*
 * proto.h - every constant of the OpenVPN wire protocol that we use.
 *
 * Section numbers "(rfc §x)" refer to draft-openvpntech-openvpn-wire-protocol
 * (OpenVPN/openvpn-rfc, openvpn-wire-protocol.xml); "(doc §x)" refers to
 * shared/docs/openvpn-protocol.md, which records what the 2.6 binary does on
 * the wire where the draft is silent or wrong.
 */
#ifndef OVPN_PROTO_H
#define OVPN_PROTO_H

/* First byte: opcode in the high 5 bits, key id in the low 3 (doc §1). */
enum {
	P_OPCODE_SHIFT = 3,
	P_KEY_ID_MASK = 0x07,
	P_KEY_ID_COUNT = 8,
};

enum proto_opcode {
	P_CONTROL_HARD_RESET_CLIENT_V1 = 1,  /* obsolete key-method 1 */
	P_CONTROL_HARD_RESET_SERVER_V1 = 2,
	P_CONTROL_SOFT_RESET_V1 = 3,
	P_CONTROL_V1 = 4,
	P_ACK_V1 = 5,
	P_DATA_V1 = 6,
	P_CONTROL_HARD_RESET_CLIENT_V2 = 7,
	P_CONTROL_HARD_RESET_SERVER_V2 = 8,
	P_DATA_V2 = 9,
	P_CONTROL_HARD_RESET_CLIENT_V3 = 10, /* tls-crypt-v2 */
	P_CONTROL_WKC_V1 = 11,
	P_OPCODE_MAX = 11,
};

/* Sizes of control-packet fields (doc §2). */
enum {
	SESSION_ID_LEN = 8,
	ACK_MAX_RX = 8,           /* a receiver rejects a packet with more acks */
	ACK_MAX_ON_CONTROL = 4,   /* acks we piggy-back on a control packet */
	ACK_MAX_ON_ACK = 8,       /* acks we put in a P_ACK_V1 */
	CTL_HDR_MIN = 1 + SESSION_ID_LEN + 1, /* op, sid, ack count */
	CTL_PKT_MAX = 2048,       /* largest control packet we read or build */
};

/* Reliability layer (doc §3.2, 2.6 values). */
enum {
	REL_SEND_WINDOW = 6,
	REL_RECV_WINDOW = 12,
	REL_FAST_RETRANSMIT_ACKS = 3,
};

/* Timers and defaults (doc §12), in seconds. */
enum {
	DEF_TLS_TIMEOUT_S = 2,
	DEF_HAND_WINDOW_S = 60,
	DEF_RENEG_SEC = 3600,
	DEF_TRANSITION_WINDOW_S = 3600,
	DEF_REPLAY_WINDOW = 64,
	DEF_REPLAY_TIME_S = 15,
	DEF_TLS_MTU = 1250,
	PUSH_REPLY_DEDUP_S = 30,
	DEF_MAX_CLIENTS = 1024,
	DEF_PORT = 1194,
};

/* Key-method-2 message (doc §6.2). */
enum {
	KM2_PRE_MASTER_LEN = 48,
	KM2_RANDOM_LEN = 32,
	KM2_OPTIONS_MAX = 512,     /* TLS_OPTIONS_LEN in 2.6 */
	KM2_USERPASS_MAX = 4096,   /* Debian's PKCS#11 build; 128 upstream */
	KM2_PEER_INFO_MAX = 4096,
};

/* Data channel (doc §7, §8). */
enum {
	KEY2_LEN = 256,            /* two directions x (cipher 64 || hmac 64) */
	KEY2_PART_LEN = 64,
	AEAD_TAG_LEN = 16,
	AEAD_NONCE_LEN = 12,
	AEAD_IMPLICIT_IV_LEN = 8,
	PEER_ID_NONE = 0xFFFFFF,
	DATA_V2_HDR_LEN = 4,
	DATA_V1_HDR_LEN = 1,
	PACKET_ID_LEN = 4,
	/* 2.6 renegotiates when the send id reaches this and never wraps. */
	PACKET_ID_RENEG = 0xFF000000u,
};

/* IV_PROTO bits (doc §6.4). */
enum {
	IV_PROTO_DATA_V2 = 1u << 1,
	IV_PROTO_REQUEST_PUSH = 1u << 2,
	IV_PROTO_TLS_KEY_EXPORT = 1u << 3,
	IV_PROTO_AUTH_PENDING_KW = 1u << 4,
	IV_PROTO_NCP_P2P = 1u << 5,
	IV_PROTO_DNS_OPTION = 1u << 6,
	IV_PROTO_CC_EXIT_NOTIFY = 1u << 7,
	IV_PROTO_AUTH_FAIL_TEMP = 1u << 8,
	IV_PROTO_DYN_TLS_CRYPT = 1u << 9,
	IV_PROTO_DATA_EPOCH = 1u << 10,
};

/* Text control messages (doc §9): at most this long, NUL-terminated. */
enum { CTL_MSG_MAX = 1024, PUSH_OPTION_MAX = 255 };

/* TLS exporter labels (doc §5.6, §7.2). */
#define EKM_LABEL_DATAKEYS "EXPORTER-OpenVPN-datakeys"
#define EKM_LABEL_DYN_TLS_CRYPT "EXPORTER-OpenVPN-dynamic-tls-crypt"
/* Legacy PRF labels: no trailing space (doc §16.4). */
#define PRF_LABEL_MASTER "OpenVPN master secret"
#define PRF_LABEL_EXPANSION "OpenVPN key expansion"

#endif
