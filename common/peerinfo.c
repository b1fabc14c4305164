#include "peerinfo.h"
