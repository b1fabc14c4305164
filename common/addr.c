#include "addr.h"
