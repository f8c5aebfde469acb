// SPDX-License-Identifier: MIT
// Managed side. 82540EM register offsets and bits (Intel PCI/PCI-X Family of Gigabit Ethernet
// Controllers Software Developer's Manual, section 13; names as in Linux e1000_hw.h).
namespace LinuxShim.Devices.E1000;

internal static class E1000Registers
{
    public const int CTRL = 0x0000, STATUS = 0x0008, EECD = 0x0010, EERD = 0x0014, CTRL_EXT = 0x0018, MDIC = 0x0020,
        VET = 0x0038, ICR = 0x00C0, ITR = 0x00C4, ICS = 0x00C8, IMS = 0x00D0, IMC = 0x00D8, RCTL = 0x0100,
        TCTL = 0x0400, TIPG = 0x0410, LEDCTL = 0x0E00, PBA = 0x1000,
        RDBAL = 0x2800, RDBAH = 0x2804, RDLEN = 0x2808, RDH = 0x2810, RDT = 0x2818,
        TDBAL = 0x3800, TDBAH = 0x3804, TDLEN = 0x3808, TDH = 0x3810, TDT = 0x3818,
        StatsStart = 0x4000, StatsEnd = 0x4100, MTA = 0x5200, RA = 0x5400, VFTA = 0x5600;

    public const int RegisterSpace = 0x20000, IoSpace = 0x40;

    // Statistics (clear on read)
    public const int CRCERRS = 0x4000, MPC = 0x4010, PRC64 = 0x405C, GPRC = 0x4074, BPRC = 0x4078, MPRC = 0x407C,
        GPTC = 0x4080, GORCL = 0x4088, GOTCL = 0x4090, RNBC = 0x40A0, TORL = 0x40C0, TOTL = 0x40C8, TPR = 0x40D0,
        TPT = 0x40D4, PTC64 = 0x40D8, MPTC = 0x40F0, BPTC = 0x40F4;

    public const uint CtrlSlu = 1u << 6, CtrlRst = 1u << 26, CtrlVme = 1u << 30, CtrlPhyRst = 1u << 31;

    public const uint StatusFd = 1u << 0, StatusLu = 1u << 1, StatusSpeed1000 = 1u << 7, StatusAsdv1000 = 3u << 8,
        StatusMtxckok = 1u << 10;

    public const uint EecdSk = 1u << 0, EecdCs = 1u << 1, EecdDi = 1u << 2, EecdDo = 1u << 3, EecdReq = 1u << 6,
        EecdGnt = 1u << 7, EecdPres = 1u << 8;

    public const uint EerdStart = 1u << 0, EerdDone = 1u << 4;

    public const uint MdicOpWrite = 0x04000000, MdicOpRead = 0x08000000, MdicReady = 1u << 28, MdicInterrupt = 1u << 29,
        MdicError = 1u << 30;

    // Interrupt causes
    public const uint TXDW = 1u << 0, TXQE = 1u << 1, LSC = 1u << 2, RXSEQ = 1u << 3, RXDMT0 = 1u << 4, RXO = 1u << 6,
        RXT0 = 1u << 7, MDAC = 1u << 9;

    public const uint RctlEn = 1u << 1, RctlSbp = 1u << 2, RctlUpe = 1u << 3, RctlMpe = 1u << 4, RctlLpe = 1u << 5,
        RctlBam = 1u << 15, RctlVfe = 1u << 18, RctlBsex = 1u << 25, RctlSecrc = 1u << 26;

    public const uint TctlEn = 1u << 1;

    public const uint RahAv = 1u << 31;

    // Descriptor bits
    public const byte TxCmdEop = 0x01, TxCmdIfcs = 0x02, TxCmdIc = 0x04, TxCmdRs = 0x08, TxCmdRps = 0x10,
        TxCmdDext = 0x20, TxCmdVle = 0x40, TxCmdTse = 0x04;

    public const byte TxStaDd = 0x01, TxPoptsIxsm = 0x01, TxPoptsTxsm = 0x02;

    public const byte TuCmdTcp = 0x01, TuCmdIp = 0x02;

    public const byte RxStaDd = 0x01, RxStaEop = 0x02, RxStaIxsm = 0x04, RxStaVp = 0x08;
}
