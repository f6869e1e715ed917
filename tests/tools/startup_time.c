/* startup_time.c: milliseconds from exec of `vinbot serve` to the first 200 from /ready.
 *
 *   startup_time PORT VINBOT [ARGS...]     (environment is passed through)
 *
 * Forks, execs the service, polls GET /ready on 127.0.0.1:PORT every 200 µs over a raw socket
 * (no curl startup cost in the measurement), prints the time, then sends SIGTERM and waits.
 * Gives up after 10 s. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int ready(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        const char req[] = "GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        if (write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1)) {
            char buf[64] = "";
            ssize_t n = read(fd, buf, sizeof buf - 1);
            ok = n > 12 && strncmp(buf + 9, "200", 3) == 0;
        }
    }
    close(fd);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: startup_time PORT VINBOT [ARGS...]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        /* the service's log lines would mix with our one-number output */
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execv(argv[2], argv + 2);
        _exit(127);
    }
    double t = -1;
    while (now_ms() - t0 < 10000) {
        if (ready(port)) {
            t = now_ms() - t0;
            break;
        }
        usleep(200);
    }
    kill(pid, SIGTERM);
    int st;
    waitpid(pid, &st, 0);
    if (t < 0) {
        fprintf(stderr, "not ready within 10 s\n");
        return 1;
    }
    printf("%.1f\n", t);
    return 0;
}
