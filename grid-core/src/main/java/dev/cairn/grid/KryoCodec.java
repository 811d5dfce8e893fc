package dev.cairn.grid;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.DefaultSerializers;
import com.esotericsoftware.kryo.serializers.ImmutableCollectionsSerializers;
import com.esotericsoftware.kryo.util.DefaultInstantiatorStrategy;
import com.esotericsoftware.kryo.util.Pool;

import org.objenesis.strategy.StdInstantiatorStrategy;

import dev.cairn.SerializationException;

/**
 * The default {@link Codec}: Kryo with registration required, so the bytes hold a small class id instead of a class
 * name and an unknown class fails loudly instead of being loaded from the wire.
 *
 * <p>Kryo's own defaults (primitives, their boxes, {@code String}) come first, then a fixed list of common JDK types,
 * then the user's classes in the order given, starting at id {@value #FIRST_USER_ID}. Every node must register the
 * same classes in the same order. Kryo instances are not thread-safe, so they are pooled.
 */
public final class KryoCodec implements Codec {
    /** The id the first user class gets; ids below are Cairn's. */
    public static final int FIRST_USER_ID = 100;

    private static final List<Class<?>> BUILT_IN = List.of(
            byte[].class, int[].class, long[].class, double[].class, Object[].class, String[].class,
            ArrayList.class, HashMap.class, LinkedHashMap.class, HashSet.class, LinkedHashSet.class,
            TreeMap.class, TreeSet.class, BigInteger.class, BigDecimal.class, Date.class,
            Instant.class, Duration.class, LocalDate.class, LocalDateTime.class,
            Collections.emptyList().getClass(), Collections.emptyMap().getClass(), Collections.emptySet().getClass(),
            Collections.singletonList(0).getClass(), Collections.singletonMap(0, 0).getClass(),
            Collections.singleton(0).getClass(), Arrays.asList().getClass());

    private final List<Class<?>> userClasses;
    /** Output buffers above this size are not kept in the pool after use. */
    static final int MAX_POOLED_BUFFER = 64 * 1024;
    private final Pool<Session> pool;

    private static final class Session {
        final Kryo kryo;
        final Output output = new Output(256, -1);
        final Input input = new Input();

        Session(Kryo kryo) {
            this.kryo = kryo;
        }
    }

    /** A codec that knows the built-in types and {@code classes}, in that order. */
    public KryoCodec(List<Class<?>> classes) {
        this.userClasses = List.copyOf(classes);
        Kryo probe = newKryo(); // fail at construction, not on first use, if a class cannot be registered
        Objects.requireNonNull(probe);
        this.pool = new Pool<>(true, false, 64) {
            @Override
            protected Session create() {
                return new Session(newKryo());
            }
        };
    }

    /** The user classes this codec registers, in id order. */
    public List<Class<?>> userClasses() {
        return userClasses;
    }

    private Kryo newKryo() {
        Kryo kryo = new Kryo();
        kryo.setRegistrationRequired(true);
        kryo.setReferences(false);
        // A no-arg constructor when there is one, else Objenesis, so user classes with only final fields work.
        kryo.setInstantiatorStrategy(new DefaultInstantiatorStrategy(new StdInstantiatorStrategy()));
        ImmutableCollectionsSerializers.addDefaultSerializers(kryo);
        for (Class<?> c : BUILT_IN) {
            kryo.register(c);
        }
        kryo.register(UUID.class, new DefaultSerializers.UUIDSerializer());
        ImmutableCollectionsSerializers.registerSerializers(kryo);
        int id = FIRST_USER_ID;
        for (Class<?> c : userClasses) {
            kryo.register(c, id++);
        }
        return kryo;
    }

    @Override
    public byte[] encode(Object value) {
        Objects.requireNonNull(value, "value");
        Session s = pool.obtain();
        try {
            s.output.reset();
            s.kryo.writeClassAndObject(s.output, value);
            return s.output.toBytes();
        } catch (IllegalArgumentException | KryoException e) {
            throw translate("encode a " + value.getClass().getName(), e);
        } finally {
            if (s.output.getBuffer().length > MAX_POOLED_BUFFER) {
                s.output.setBuffer(new byte[256], -1); // a pooled session does not keep the largest value ever encoded
            }
            pool.free(s);
        }
    }

    @Override
    public Object decode(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        Session s = pool.obtain();
        try {
            s.input.setBuffer(bytes);
            Object value = s.kryo.readClassAndObject(s.input);
            if (s.input.position() != bytes.length) {
                throw new SerializationException("cannot decode " + bytes.length + " bytes: a value ended after "
                        + s.input.position() + " bytes, so these are not bytes this codec wrote");
            }
            return value;
        } catch (IllegalArgumentException | KryoException e) {
            throw translate("decode " + bytes.length + " bytes", e);
        } finally {
            s.input.setBuffer(new byte[0]);
            pool.free(s);
        }
    }

    private static SerializationException translate(String what, RuntimeException e) {
        String message = String.valueOf(e.getMessage());
        int at = message.indexOf("Class is not registered: ");
        if (at >= 0) {
            String rest = message.substring(at + "Class is not registered: ".length());
            int end = rest.indexOf('\n');
            String name = (end < 0 ? rest : rest.substring(0, end)).trim();
            return new SerializationException("cannot " + what + ": class " + name
                    + " is not registered with Cairn's codec; register it on every node, in the same order, with "
                    + "GridConfig.builder().register(" + name + ".class) or -Dcairn.codec.classes=" + name, e);
        }
        return new SerializationException("cannot " + what + ": " + message, e);
    }
}
