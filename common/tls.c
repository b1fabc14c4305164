#include "tls.h"
