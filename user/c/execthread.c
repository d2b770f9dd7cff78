/* execthread: execve from a thread that is not the leader. Linux gives
 * the exec'ing thread the leader's thread ID (= the process ID) and ends
 * every other thread; the new program checks both and prints
 * "execthread: ok". */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char *self;

/* threads counts the process's threads from /proc/self/status. */
static int threads(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int n = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

static void *run(void *arg)
{
	char pid[32], tid[32];
	(void)arg;
	snprintf(pid, sizeof pid, "%d", getpid());
	snprintf(tid, sizeof tid, "%ld", (long)syscall(SYS_gettid));
	execlp(self, self, "child", pid, tid, (char *)0);
	perror("execthread: exec");
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "child") == 0) {
		long pid = atol(argv[2]), oldtid = atol(argv[3]);
		long tid = syscall(SYS_gettid);
		int n = threads();
		if (getpid() != pid || tid != pid || oldtid == pid || n != 1) {
			printf("execthread: FAIL: pid %d tid %ld threads %d; want pid %ld = tid, 1 thread (exec from tid %ld)\n",
			       getpid(), tid, n, pid, oldtid);
			return 1;
		}
		printf("execthread: exec from tid %ld; now tid %ld = pid, 1 thread\nexecthread: ok\n", oldtid, tid);
		return 0;
	}
	self = argv[0];
	pthread_t t;
	if (pthread_create(&t, 0, run, 0) != 0) {
		perror("execthread: pthread_create");
		return 1;
	}
	pthread_join(t, 0); /* the exec ends this thread */
	printf("execthread: FAIL: the leader outlived the exec\n");
	return 1;
}
