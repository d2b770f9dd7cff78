package proc

import (
	"syscall"

	"scone/kernel/machine"
	"scone/kernel/mem"
)

// NewPageTable makes the page table of a new address space: the machine's
// in the kernel; host tests set it to a fake.
var NewPageTable = newMachinePageTable

// machinePageTable is the machine's address space as a mem.PageTable:
// Share takes the child as a mem.PageTable, which the machine layer
// cannot name, and hands the machine its own type.  Run and the other
// methods are the machine's.
type machinePageTable struct{ *machine.AddressSpace }

func newMachinePageTable() (mem.PageTable, error) {
	as, err := machine.NewAddressSpace()
	if err != nil {
		return nil, err
	}
	return machinePageTable{as}, nil
}

// Alias implements mem.PageTable.
func (pt machinePageTable) Alias(src mem.PageTable, srcVA, va uintptr, prot int) error {
	s, ok := src.(machinePageTable)
	if !ok {
		return syscall.EINVAL
	}
	return pt.AddressSpace.Alias(s.AddressSpace, srcVA, va, prot)
}

// New implements mem.PageTable.
func (pt machinePageTable) New() (mem.PageTable, error) { return newMachinePageTable() }

// Share implements mem.PageTable.
func (pt machinePageTable) Share(child mem.PageTable, va uintptr, size int) error {
	c, ok := child.(machinePageTable)
	if !ok {
		return syscall.EINVAL
	}
	return pt.AddressSpace.Share(c.AddressSpace, va, size)
}
