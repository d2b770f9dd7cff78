/* signals: checks the signal frame the kernel builds, as a C program
 * reads it (Linux x86-64 rt_sigframe: siginfo, then ucontext with
 * mcontext's gregs, the FPU state pointer and the saved mask).  Prints
 * the offsets musl's headers give for the ucontext fields and what the
 * handler read there; exits 0 only if every check holds.
 *
 *  1. SIGUSR1 by raise(): SA_SIGINFO handler gets si_signo, si_code
 *     SI_TKILL, si_pid; the mask inside the handler holds SIGUSR1 and the
 *     sa_mask signal; oldmask in the frame holds the mask before.
 *  2. A write to an unmapped address: SIGSEGV with si_addr, and in the
 *     frame trapno 14 (page fault), err with the user and write bits, cr2
 *     the address; the handler changes RIP in the frame to skip past the
 *     fault, so sigreturn must restore registers from the frame.
 *  3. An alternate signal stack (sigaltstack + SA_ONSTACK).
 *  4. SA_RESTART off: a read of an empty pipe fails with EINTR when a
 *     thread signals it (pthread_kill).
 *  5. A page written, then made PROT_NONE: a read faults (SIGSEGV,
 *     SEGV_ACCERR, err with the present and user bits), and after
 *     mprotect(PROT_READ) the byte written is there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static int bad;

#define CHECK(cond, ...) do { if (!(cond)) { printf("signals: FAIL: " __VA_ARGS__); printf("\n"); bad = 1; } } while (0)

static volatile siginfo_t got;
static volatile greg_t trapno, err, cr2, oldmask;
static volatile int masked_in_handler, usr2_masked, has_fpregs;
static volatile uintptr_t handler_sp;

static void on_usr1(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	sigset_t now;

	got = *si;
	oldmask = uc->uc_mcontext.gregs[REG_OLDMASK];
	sigprocmask(SIG_BLOCK, NULL, &now);
	masked_in_handler = sigismember(&now, SIGUSR1);
	usr2_masked = sigismember(&now, SIGUSR2);
	has_fpregs = uc->uc_mcontext.fpregs != NULL;
	handler_sp = (uintptr_t)__builtin_frame_address(0);
}

/* Skip the faulting store and the nops after it (see fault()). */
static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	got = *si;
	trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	err = uc->uc_mcontext.gregs[REG_ERR];
	cr2 = uc->uc_mcontext.gregs[REG_CR2];
	uc->uc_mcontext.gregs[REG_RIP] += 10;
}

static void fault(volatile int *p)
{
	/* movl $0x12345678, (%rax): c7 00 78 56 34 12 = 6 bytes, then 4 nops
	 * so skipping 10 bytes lands after them. */
	__asm__ volatile("movl $0x12345678, (%0)\n\t.byte 0x90,0x90,0x90,0x90" : : "a"(p) : "memory");
}

static void readfault(volatile char *p)
{
	/* movb (%rax), %al: 8a 00 = 2 bytes, then 8 nops, as fault(). */
	__asm__ volatile("movb (%0), %%al\n\t.byte 0x90,0x90,0x90,0x90,0x90,0x90,0x90,0x90" : : "a"(p) : "memory");
}

static void on_alrm(int sig) { (void)sig; }

static int intr_pipe[2], done_pipe[2];
static pthread_t main_thread;

static void *poke(void *arg)
{
	struct timespec d = {.tv_nsec = 50 * 1000 * 1000};
	struct pollfd done = {.fd = done_pipe[0], .events = POLLIN};

	(void)arg;
	nanosleep(&d, NULL);
	pthread_kill(main_thread, SIGALRM);
	if (poll(&done, 1, 2000) == 0)
		write(intr_pipe[1], "x", 1);
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	sigset_t empty, before;

	printf("signals: offsets: uc_mcontext %zu gregs %zu fpregs %zu uc_sigmask %zu\n",
	       offsetof(ucontext_t, uc_mcontext), offsetof(ucontext_t, uc_mcontext.gregs),
	       offsetof(ucontext_t, uc_mcontext.fpregs), offsetof(ucontext_t, uc_sigmask));
	printf("signals: mcontext offsets: rip %zu err %zu trapno %zu oldmask %zu cr2 %zu fpregs %zu\n",
	       REG_RIP * sizeof(greg_t), REG_ERR * sizeof(greg_t), REG_TRAPNO * sizeof(greg_t),
	       REG_OLDMASK * sizeof(greg_t), REG_CR2 * sizeof(greg_t), offsetof(mcontext_t, fpregs));
	CHECK(REG_ERR * sizeof(greg_t) == 152 && REG_TRAPNO * sizeof(greg_t) == 160 &&
	      REG_OLDMASK * sizeof(greg_t) == 168 && REG_CR2 * sizeof(greg_t) == 176 &&
	      offsetof(mcontext_t, fpregs) == 184, "musl's layout is not Linux's");

	/* 1. A handled signal with SA_SIGINFO and a mask. */
	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, &empty, NULL);
	sigemptyset(&before);
	sigaddset(&before, SIGPIPE); /* a mask to find in oldmask */
	sigprocmask(SIG_BLOCK, &before, NULL);
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("signals: SIGUSR1: signo %d code %d pid %d oldmask %#lx masked %d/%d fpregs %d\n",
	       got.si_signo, got.si_code, got.si_pid, (unsigned long)oldmask, masked_in_handler, usr2_masked, has_fpregs);
	CHECK(got.si_signo == SIGUSR1, "si_signo %d", got.si_signo);
	CHECK(got.si_code == SI_TKILL || got.si_code == SI_USER, "si_code %d", got.si_code);
	CHECK(got.si_pid == getpid(), "si_pid %d, want %d", got.si_pid, getpid());
	CHECK(oldmask == 1UL << (SIGPIPE - 1), "oldmask %#lx, want SIGPIPE's bit", (unsigned long)oldmask);
	CHECK(masked_in_handler && usr2_masked, "in the handler SIGUSR1 masked %d, SIGUSR2 %d", masked_in_handler, usr2_masked);
	CHECK(has_fpregs, "no fpregs in the frame");
	sigprocmask(SIG_SETMASK, NULL, &before);
	CHECK(sigismember(&before, SIGPIPE) && !sigismember(&before, SIGUSR2), "mask not restored by sigreturn");

	/* 2. A page fault. */
	sa.sa_sigaction = on_segv;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	int *where = (int *)0x1000;
	fault(where);
	printf("signals: SIGSEGV: addr %p code %d trapno %ld err %#lx cr2 %#lx\n",
	       got.si_addr, got.si_code, (long)trapno, (unsigned long)err, (unsigned long)cr2);
	CHECK(got.si_signo == SIGSEGV && got.si_addr == (void *)where, "si_addr %p, want %p", got.si_addr, (void *)where);
	CHECK(got.si_code == SEGV_MAPERR, "si_code %d, want SEGV_MAPERR", got.si_code);
	CHECK(trapno == 14, "trapno %ld, want 14", (long)trapno);
	CHECK((err & 6) == 6, "err %#lx, want the user (4) and write (2) bits", (unsigned long)err);
	CHECK(cr2 == (greg_t)(uintptr_t)where, "cr2 %#lx", (unsigned long)cr2);

	/* 3. The alternate stack. */
	static char altstack[1 << 16];
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
	CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack: %s", strerror(errno));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	CHECK(handler_sp >= (uintptr_t)altstack && handler_sp < (uintptr_t)altstack + sizeof altstack,
	      "handler ran at %#lx, not on the alternate stack", (unsigned long)handler_sp);

	/* 4. No SA_RESTART: EINTR.  A thread signals the main thread blocked
	 * in read (tgkill), and writes a byte 2 s later so that a kernel that
	 * never interrupts the read fails the check rather than hangs. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alrm;
	sigaction(SIGALRM, &sa, NULL);
	pipe(intr_pipe);
	pipe(done_pipe);
	main_thread = pthread_self();
	pthread_t poker;
	pthread_create(&poker, NULL, poke, NULL);
	char c;
	ssize_t n = read(intr_pipe[0], &c, 1);
	int e = errno;
	write(done_pipe[1], "x", 1);
	pthread_join(poker, NULL);
	CHECK(n == -1 && e == EINTR, "read interrupted without SA_RESTART: %zd, %s", n, n < 0 ? strerror(e) : "no error");

	/* 5. PROT_NONE on a present page. */
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	char *pg = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(pg != MAP_FAILED, "mmap: %s", strerror(errno));
	if (pg != MAP_FAILED) {
		pg[0] = 42;
		CHECK(mprotect(pg, 4096, PROT_NONE) == 0, "mprotect(PROT_NONE): %s", strerror(errno));
		memset((void *)&got, 0, sizeof got);
		readfault(pg);
		printf("signals: PROT_NONE read: signo %d addr %p code %d err %#lx\n",
		       got.si_signo, got.si_addr, got.si_code, (unsigned long)err);
		CHECK(got.si_signo == SIGSEGV && got.si_addr == pg, "read of a PROT_NONE page: signo %d addr %p, want SIGSEGV at %p",
		      got.si_signo, got.si_addr, (void *)pg);
		CHECK(got.si_code == SEGV_ACCERR, "si_code %d, want SEGV_ACCERR", got.si_code);
		/* A user-mode read. The present bit differs: Linux clears it for
		   PROT_NONE (err 4), Scone keeps the page present (err 5). */
		CHECK((err & 6) == 4, "err %#lx, want a user-mode read", (unsigned long)err);
		CHECK(mprotect(pg, 4096, PROT_READ) == 0 && pg[0] == 42, "after mprotect(PROT_READ): %d", pg[0]);
	}

	if (!bad)
		printf("signals: ok\n");
	return bad;
}
