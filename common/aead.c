#include "aead.h"
