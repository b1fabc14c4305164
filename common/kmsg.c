#include "kmsg.h"
