/* threads: 8 POSIX threads add to a counter under a mutex, hand a token
 * round with a condition variable, and keep thread-local values apart;
 * prints "threads: ok" and exits 0 only if every check holds.  This
 * exercises clone(CLONE_THREAD|CLONE_SETTLS|...), futex wait and wake,
 * set_tid_address and arch_prctl the way musl uses them. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

#define NTHREADS 8
#define ROUNDS 10000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn;
static _Thread_local long mine;
static pid_t tids[NTHREADS];

static void *work(void *arg)
{
	int id = (int)(long)arg;

	tids[id] = syscall(SYS_gettid);
	mine = id;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	/* Take turns in order of id. */
	pthread_mutex_lock(&mu);
	while (turn != id)
		pthread_cond_wait(&cv, &mu);
	turn++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return (void *)(mine * 2);
}

int main(void)
{
	pthread_t t[NTHREADS];
	int bad = 0;

	for (long i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, work, (void *)i) != 0) {
			perror("pthread_create");
			return 1;
		}
	for (long i = 0; i < NTHREADS; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		if ((long)ret != i * 2) {
			printf("threads: thread %ld returned %ld, want %ld\n", i, (long)ret, i * 2);
			bad = 1;
		}
	}
	for (int i = 0; i < NTHREADS; i++)
		for (int j = 0; j < i; j++)
			if (tids[i] == tids[j] || tids[i] == getpid()) {
				printf("threads: thread ids not distinct\n");
				bad = 1;
			}
	if (counter != (long)NTHREADS * ROUNDS || turn != NTHREADS) {
		printf("threads: counter %ld turn %d, want %ld %d\n", counter, turn, (long)NTHREADS * ROUNDS, NTHREADS);
		bad = 1;
	}
	if (!bad)
		printf("threads: ok (%d threads, counter %ld)\n", NTHREADS, counter);
	return bad;
}
