# boot.S: Scone's 32-bit multiboot entry.
#
# QEMU's -kernel loads only 32-bit multiboot images, while the kernel is a
# 64-bit Go ELF.  This stub is the multiboot image; the Go kernel arrives as
# the first multiboot module (-initrd).  The stub
#
#   1. copies the command line and the BIOS memory map out of the multiboot
#      information (which QEMU places after the module, where the kernel's
#      segments are about to land),
#   2. copies the kernel's PT_LOAD segments to their (physical = virtual)
#      addresses and zeroes their bss,
#   3. identity-maps the first 1 GiB with 2 MiB pages, enables PAE, long mode
#      and paging, and enables SSE (CR0.EM=0, MP=1, CR4.OSFXSR|OSXMMEXCPT),
#   4. jumps to the ELF entry in 64-bit mode with RDI = &bootinfo.
#
# Everything else (GDT/TSS/IDT, the kernel's real page tables, the Linux
# initial stack for the Go runtime) is done by the kernel's machine layer in
# Go assembly and nosplit Go, which know their own symbols.  This file is the
# only code in Scone written for the GNU assembler.

	.set MB_MAGIC,     0x1BADB002
	.set MB_FLAGS,     0x00000003          # page-aligned modules, memory map
	.set MB_CHECKSUM,  -(MB_MAGIC + MB_FLAGS)

	.set COM1,         0x3f8
	.set CMDLINE_MAX,  1024
	.set MMAP_MAX,     2048                # bytes of multiboot mmap we keep

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC, MB_FLAGS, MB_CHECKSUM

	.text
	.code32
	.globl _start
_start:
	cli
	cld
	movl $stack_top, %esp
	cmpl $0x2BADB002, %eax
	jne fail_magic
	movl %ebx, %ebp                        # ebp = multiboot info

	# 1. Save the command line (flag bit 2).
	testl $(1 << 2), (%ebp)
	jz 1f
	movl 16(%ebp), %esi
	movl $cmdline, %edi
	movl $(CMDLINE_MAX - 1), %ecx
2:	lodsb
	testb %al, %al
	jz 3f
	stosb
	loop 2b
3:	subl $cmdline, %edi
	movl %edi, bi_cmdline_len
1:
	# Save the memory map (flag bit 6).
	testl $(1 << 6), (%ebp)
	jz fail_mmap
	movl 44(%ebp), %ecx                    # mmap_length
	cmpl $MMAP_MAX, %ecx
	jbe 4f
	movl $MMAP_MAX, %ecx
4:	movl %ecx, bi_mmap_len
	movl 48(%ebp), %esi
	movl $mmap_copy, %edi
	rep movsb

	# 2. Find the kernel module (flag bit 3, at least one module).
	testl $(1 << 3), (%ebp)
	jz fail_module
	cmpl $0, 20(%ebp)
	je fail_module
	movl 24(%ebp), %eax
	movl 0(%eax), %ebx                     # ebx = module start (the ELF)
	movl 4(%eax), %edx
	movl %ebx, bi_module_start
	movl %edx, bi_module_end

	cmpl $0x464c457f, (%ebx)               # "\x7fELF"
	jne fail_elf
	cmpb $2, 4(%ebx)                       # ELFCLASS64
	jne fail_elf
	movl 24(%ebx), %eax                    # e_entry (low 32 bits)
	movl %eax, entry

	# Load PT_LOAD segments from last to first, each copied backwards.  The
	# module sits below the kernel's link address and every segment's
	# (vaddr - offset) is at least the module's start, so a segment's
	# destination never covers the source of an earlier segment, and a
	# backwards copy handles a segment overlapping its own source.
	movzwl 56(%ebx), %ecx                  # e_phnum
	movl $0xffffffff, bi_kernel_start
	movl $0, bi_kernel_end
5:	testl %ecx, %ecx
	jz loaded
	decl %ecx
	movzwl 54(%ebx), %eax                  # e_phentsize
	imull %ecx, %eax
	addl 32(%ebx), %eax                    # + e_phoff
	leal (%ebx,%eax), %eax                 # eax = &phdr[ecx]
	cmpl $1, 0(%eax)                       # PT_LOAD
	jne 5b
	pushl %ecx
	movl 16(%eax), %edi                    # p_vaddr
	cmpl bi_kernel_start, %edi
	jae 6f
	movl %edi, bi_kernel_start
6:	movl %edi, %edx
	addl 32(%eax), %edx                    # + p_filesz
	cmpl bi_file_end, %edx
	jbe 12f
	movl %edx, bi_file_end
12:	movl %edi, %edx
	addl 40(%eax), %edx                    # + p_memsz
	cmpl bi_kernel_end, %edx
	jbe 7f
	movl %edx, bi_kernel_end
7:	movl 8(%eax), %esi                     # p_offset
	addl %ebx, %esi
	movl 32(%eax), %ecx                    # p_filesz
	cmpl %esi, %edi
	jb 8f                                  # destination below source: forwards
	leal -1(%esi,%ecx), %esi
	leal -1(%edi,%ecx), %edi
	std
	rep movsb
	cld
	jmp 9f
8:	rep movsb
9:	movl 16(%eax), %edi                    # zero [vaddr+filesz, vaddr+memsz)
	addl 32(%eax), %edi
	movl 40(%eax), %ecx
	subl 32(%eax), %ecx
	xorl %eax, %eax
	movl %ecx, %edx                        # 4 bytes at a time (the bss is
	shrl $2, %ecx                          # megabytes), then the rest
	rep stosl
	movl %edx, %ecx
	andl $3, %ecx
	rep stosb
	popl %ecx
	jmp 5b

loaded:
	# 3. Page tables: PML4[0] -> PDPT[0] -> PD: 512 x 2 MiB identity pages.
	movl $pdpt, %eax
	orl $3, %eax
	movl %eax, pml4
	movl $pd, %eax
	orl $3, %eax
	movl %eax, pdpt
	movl $pd, %edi
	movl $0x83, %eax                       # present, writable, 2 MiB
	movl $512, %ecx
10:	movl %eax, (%edi)
	movl $0, 4(%edi)
	addl $0x200000, %eax
	addl $8, %edi
	loop 10b

	movl %cr4, %eax
	orl $((1 << 5) | (1 << 9) | (1 << 10)), %eax   # PAE, OSFXSR, OSXMMEXCPT
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx                 # EFER
	rdmsr
	orl $((1 << 8) | (1 << 0)), %eax       # LME, SCE
	wrmsr
	movl %cr0, %eax
	andl $~(1 << 2), %eax                  # EM=0
	orl $((1 << 31) | (1 << 1) | (1 << 16)), %eax  # PG, MP, WP
	movl %eax, %cr0
	lgdt gdt_desc
	ljmp $0x08, $long_mode

	.code64
long_mode:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movl $bootinfo, %edi                  # zero-extends into rdi
	movl $entry, %ebx
	movl (%rbx), %eax
	jmp *%rax

	.code32
# Failures print a letter on COM1 and stop; there is no kernel yet to report.
fail_magic:	movb $'M', %al
	jmp fail
fail_mmap:	movb $'P', %al
	jmp fail
fail_module:	movb $'K', %al
	jmp fail
fail_elf:	movb $'E', %al
fail:	movw $COM1, %dx
	outb %al, %dx
	movb $'\n', %al
	outb %al, %dx
	movw $0xf4, %dx                        # isa-debug-exit: QEMU exits 3
	movl $1, %eax
	outl %eax, %dx
11:	hlt
	jmp 11b

	.data
	.align 8
gdt:	.quad 0
	.quad 0x00af9a000000ffff               # 0x08: 64-bit code
	.quad 0x00cf92000000ffff               # 0x10: data
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt
entry:	.long 0

# bootinfo is what the kernel's machine layer reads (machine.bootInfo);
# every field is 64 bits wide (an ELF32 object cannot hold 64-bit
# relocations, so addresses are written as two longs).
	.align 8
	.globl bootinfo
bootinfo:
	.quad 0x4f4f424e4f4353                 # magic "SCONBOO"
	.long cmdline, 0
bi_cmdline_len:	.quad 0
	.long mmap_copy, 0
bi_mmap_len:	.quad 0
bi_kernel_start:	.quad 0
bi_kernel_end:	.quad 0
	.long _start_image, 0
	.long _end, 0
bi_module_start:	.quad 0
bi_module_end:	.quad 0
bi_file_end:	.quad 0                        # end of file-backed data; bss follows

	.bss
	.align 4096
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4096
cmdline:	.skip CMDLINE_MAX
mmap_copy:	.skip MMAP_MAX
	.align 16
	.skip 4096
stack_top:
