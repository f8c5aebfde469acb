// SPDX-License-Identifier: MIT
// Managed side. A 64 x 16-bit Microwire serial EEPROM (93C46 type) as both NICs wire it: chip
// select, clock, data in and data out bit-banged through one register. Only READ is implemented:
// start bit, opcode 10, six address bits, then a dummy 0 and D15..D0 on successive rising clock
// edges, continuing into the next word while the clock runs (sequential read). Writes are ignored.
namespace LinuxShim.Devices.Eeprom;

public sealed class MicrowireEeprom
{
    public const int WordCount = 64;

    private readonly ushort[] words = new ushort[WordCount];
    private State state;
    private int shift;
    private int bits;
    private int address;
    private int outBit;
    private bool clock;

    private enum State { Idle, Opcode, Address, Output, Ignore }

    public MicrowireEeprom(ReadOnlySpan<ushort> contents) => contents[..Math.Min(contents.Length, WordCount)].CopyTo(words);

    /// <summary>The DO pin.</summary>
    public bool DataOut { get; private set; }

    public ushort this[int index] => words[index];

    /// <summary>Applies new pin levels (a register write).</summary>
    public void SetPins(bool chipSelect, bool clockHigh, bool dataIn)
    {
        bool rising = clockHigh && !clock;
        clock = clockHigh;
        if (!chipSelect)
        {
            state = State.Idle;
            DataOut = false;
            return;
        }
        if (rising)
            Clock(dataIn);
    }

    private void Clock(bool dataIn)
    {
        switch (state)
        {
            case State.Idle:
                if (dataIn)
                {
                    state = State.Opcode;
                    shift = 0;
                    bits = 0;
                }
                break;
            case State.Opcode:
                shift = (shift << 1) | (dataIn ? 1 : 0);
                if (++bits == 2)
                {
                    state = State.Address;
                    bits = 0;
                    address = 0;
                }
                break;
            case State.Address:
                address = (address << 1) | (dataIn ? 1 : 0);
                if (++bits == 6)
                {
                    state = shift == 0b10 ? State.Output : State.Ignore;
                    outBit = 16;
                    DataOut = false; // the dummy zero before D15
                }
                break;
            case State.Output:
                if (outBit == 0)
                {
                    address = (address + 1) % WordCount;
                    outBit = 16;
                }
                outBit--;
                DataOut = ((words[address] >> outBit) & 1) != 0;
                break;
        }
    }

    /// <summary>Contents for a NIC: <paramref name="macWord"/> is where the three MAC words start (low byte first).</summary>
    public static ushort[] WithMac(ReadOnlySpan<ushort> template, int macWord, MacAddress mac)
    {
        var w = new ushort[WordCount];
        template.CopyTo(w);
        for (int i = 0; i < 3; i++)
            w[macWord + i] = (ushort)(mac[2 * i] | (mac[2 * i + 1] << 8));
        return w;
    }
}
