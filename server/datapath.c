#include "datapath.h"
