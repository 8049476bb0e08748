// libpq, imported only by VigilStore (`internal import CLibPQ`).
#include <libpq-fe.h>
