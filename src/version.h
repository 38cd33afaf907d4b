#ifndef JEINIT_VERSION_H
#define JEINIT_VERSION_H
#define JEINIT_VERSION "0.1.0"
#endif
