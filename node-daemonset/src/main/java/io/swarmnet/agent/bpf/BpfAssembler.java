package io.swarmnet.agent.bpf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes eBPF instructions (8 bytes each: opcode, registers, offset, immediate) with named jump targets, for the few
 * small programs the agent loads itself. No compiler and no libbpf are needed: the kernel's verifier checks what this
 * produces, and its log is reported when it refuses a program.
 */
final class BpfAssembler {

    /** The frame pointer: r10, read-only, the top of the program's 512-byte stack. */
    static final int FP = 10;

    private record Insn(int code, int dst, int src, int offset, int imm) {
    }

    private final List<Insn> insns = new ArrayList<>();
    private final Map<String, Integer> labels = new HashMap<>();
    private final Map<Integer, String> jumps = new HashMap<>();

    private BpfAssembler emit(int code, int dst, int src, int offset, int imm) {
        insns.add(new Insn(code, dst, src, offset, imm));
        return this;
    }

    BpfAssembler label(String name) {
        if (labels.putIfAbsent(name, insns.size()) != null) {
            throw new IllegalStateException("label " + name + " defined twice");
        }
        return this;
    }

    /** dst = src (64 bits). */
    BpfAssembler mov(int dst, int src) {
        return emit(0xbf, dst, src, 0, 0);
    }

    /** dst = imm (64 bits, sign-extended). */
    BpfAssembler movImm(int dst, int imm) {
        return emit(0xb7, dst, 0, 0, imm);
    }

    BpfAssembler addImm(int dst, int imm) {
        return emit(0x07, dst, 0, 0, imm);
    }

    /** dst %= src (64 bits, unsigned; the kernel leaves dst as it was when src is 0). */
    BpfAssembler mod(int dst, int src) {
        return emit(0x9f, dst, src, 0, 0);
    }

    /** dst = *(size *)(src + offset), zero-extended. */
    BpfAssembler load(int size, int dst, int src, int offset) {
        return emit(0x61 | sizeBits(size), dst, src, offset, 0);
    }

    /** *(size *)(dst + offset) = src. */
    BpfAssembler store(int size, int dst, int offset, int src) {
        return emit(0x63 | sizeBits(size), dst, src, offset, 0);
    }

    /** *(size *)(dst + offset) = imm. */
    BpfAssembler storeImm(int size, int dst, int offset, int imm) {
        return emit(0x62 | sizeBits(size), dst, 0, offset, imm);
    }

    /** r0 = helper(r1 … r5); r1 to r5 are clobbered, r6 to r9 kept. */
    BpfAssembler call(int helper) {
        return emit(0x85, 0, 0, 0, helper);
    }

    BpfAssembler exit() {
        return emit(0x95, 0, 0, 0, 0);
    }

    BpfAssembler jump(String label) {
        return jumpTo(0x05, 0, 0, 0, label);
    }

    /** if (dst == imm) goto label, comparing 64 bits. */
    BpfAssembler jumpIfEqual(int dst, int imm, String label) {
        return jumpTo(0x15, dst, 0, imm, label);
    }

    BpfAssembler jumpIfNotEqual(int dst, int imm, String label) {
        return jumpTo(0x55, dst, 0, imm, label);
    }

    /** if ((u32) dst != imm) goto label: the 32-bit compare, for a constant whose top bit is set. */
    BpfAssembler jumpIfNotEqual32(int dst, int imm, String label) {
        return jumpTo(0x56, dst, 0, imm, label);
    }

    /** if (dst >= imm) goto label, unsigned. */
    BpfAssembler jumpIfAtLeast(int dst, int imm, String label) {
        return jumpTo(0x35, dst, 0, imm, label);
    }

    /** dst = the map whose file descriptor is {@code mapFd} (a two-slot load the kernel resolves at load time). */
    BpfAssembler loadMap(int dst, int mapFd) {
        emit(0x18, dst, 1, 0, mapFd);
        return emit(0, 0, 0, 0, 0);
    }

    private BpfAssembler jumpTo(int code, int dst, int src, int imm, String label) {
        jumps.put(insns.size(), label);
        return emit(code, dst, src, 0, imm);
    }

    private static int sizeBits(int size) {
        return switch (size) {
            case 4 -> 0x00;
            case 2 -> 0x08;
            case 1 -> 0x10;
            case 8 -> 0x18;
            default -> throw new IllegalArgumentException("no eBPF access of " + size + " bytes");
        };
    }

    /** The program as the kernel takes it: instructions in the machine's byte order, jumps resolved. */
    byte[] assemble() {
        ByteBuffer out = ByteBuffer.allocate(insns.size() * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < insns.size(); i++) {
            Insn insn = insns.get(i);
            int offset = insn.offset();
            String label = jumps.get(i);
            if (label != null) {
                Integer target = labels.get(label);
                if (target == null) {
                    throw new IllegalStateException("jump to undefined label " + label);
                }
                offset = target - i - 1;
            }
            out.put((byte) insn.code()).put((byte) ((insn.dst() & 0xf) | (insn.src() & 0xf) << 4))
                    .putShort((short) offset).putInt(insn.imm());
        }
        return out.array();
    }

    int size() {
        return insns.size();
    }
}
