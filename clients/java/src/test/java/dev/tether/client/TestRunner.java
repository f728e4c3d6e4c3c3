package dev.tether.client;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Runs the tests without a framework: every public no-argument {@code test*} method of the listed classes (the
 * same convention Maven Surefire's plain-Java provider uses), plus every case of a class's static {@code cases()}
 * map (one per protocol vector). Ends with the line {@code tests: N passed, M failed}; exits 1 if any failed.
 * Arguments, if any, keep only tests whose name contains one of them.
 */
public final class TestRunner {
    private static final Class<?>[] CLASSES = {
        VectorsTest.class, FrameReaderTest.class, BackoffTest.class, ClientSessionTest.class,
        JsonEventWriterTest.class, OptionsAndParsingTest.class, EndpointSelectorTest.class, ClientLoopbackTest.class,
        TlsTest.class,
    };

    private TestRunner() {
    }

    public static void main(String[] args) throws Exception {
        int passed = 0;
        int failed = 0;
        List<String> failures = new ArrayList<>();
        for (Class<?> type : CLASSES) {
            for (Map.Entry<String, Check.Body> c : cases(type)) {
                String name = type.getSimpleName() + "." + c.getKey();
                if (!selected(name, args)) {
                    continue;
                }
                long started = System.nanoTime();
                try {
                    c.getValue().run();
                    passed++;
                    System.out.printf("ok   %s (%d ms)%n", name, (System.nanoTime() - started) / 1_000_000);
                } catch (Throwable e) {
                    Throwable cause = e instanceof InvocationTargetException ? e.getCause() : e;
                    failed++;
                    failures.add(name);
                    System.out.printf("FAIL %s: %s%n", name, cause);
                    if (!(cause instanceof AssertionError)) {
                        cause.printStackTrace(System.out);
                    }
                }
            }
        }
        if (!failures.isEmpty()) {
            System.out.println("failed: " + String.join(", ", failures));
        }
        System.out.println("tests: " + passed + " passed, " + failed + " failed");
        System.out.flush();
        System.exit(failed == 0 ? 0 : 1);
    }

    private static boolean selected(String name, String[] filters) {
        return filters.length == 0 || Arrays.stream(filters).anyMatch(name::contains);
    }

    @SuppressWarnings("unchecked")
    private static List<Map.Entry<String, Check.Body>> cases(Class<?> type) throws Exception {
        List<Map.Entry<String, Check.Body>> out = new ArrayList<>();
        try {
            Method cases = type.getDeclaredMethod("cases");
            for (Map.Entry<String, Check.Body> e : ((Map<String, Check.Body>) cases.invoke(null)).entrySet()) {
                out.add(Map.entry(e.getKey(), e.getValue()));
            }
            return out;
        } catch (NoSuchMethodException e) {
            // A plain class: its test methods.
        }
        Method[] methods = type.getDeclaredMethods();
        Arrays.sort(methods, Comparator.comparing(Method::getName));
        for (Method m : methods) {
            if (m.getName().startsWith("test") && m.getParameterCount() == 0 && Modifier.isPublic(m.getModifiers())
                    && !Modifier.isStatic(m.getModifiers())) {
                out.add(Map.entry(m.getName(), () -> m.invoke(type.getDeclaredConstructor().newInstance())));
            }
        }
        return out;
    }
}
