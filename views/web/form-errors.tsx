/** The problems of a submitted form, each escaped; nothing when there are none. */
export function FormErrors({ errors }: { errors: readonly string[] }) {
  if (errors.length === 0) return "";
  return (
    <div class="errors" role="alert">
      <ul>
        {errors.map((message) => (
          <li safe>{message}</li>
        ))}
      </ul>
    </div>
  );
}
