#include "replay.h"
