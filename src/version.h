#ifndef VINBOT_VERSION_H
#define VINBOT_VERSION_H
#define VINBOT_VERSION "0.1.0"
#endif
