import { Layout } from "../layout.tsx";

export interface MessagePageProps {
  title: string;
  message: string;
  /** A local link offered to go on, with its label. */
  link?: { href: string; label: string };
}

/** A short page for refusals and errors (403, 404, 413, 429). */
export function MessagePage({ title, message, link }: MessagePageProps) {
  return (
    <Layout title={title} narrow>
      <h1 safe>{title}</h1>
      <div class="card">
        <p safe>{message}</p>
        {link ? (
          <p>
            <a href={link.href} safe>
              {link.label}
            </a>
          </p>
        ) : (
          ""
        )}
      </div>
    </Layout>
  );
}
