// The quiz (docs/learn/quiz.md): placeholder until the component lands.
export function mountQuiz() {}
