// Strings of the live room (restart countdown, re-asking, skipping, the
// answer key's guard), in Vietnamese and English; merged into i18n.js.

export const vi = {
  'q.resumesIn': 'Tiếp tục sau {s} giây…',
  'q.resuming': 'Tiếp tục',
  'q.reasked': 'Hỏi lại',
  'm.skipped': 'Câu {n} đã được bỏ qua: câu trả lời của bạn cho câu đó không được tính.',
  'h.reask': 'Hỏi lại câu',
  'h.reaskHint': 'Xoá các câu trả lời của câu này, tính giờ lại từ đầu.',
  'h.confirmReask': 'Hỏi lại câu {n}? Các câu trả lời và điểm của câu này sẽ bị xoá, thời gian tính lại từ đầu.',
  'h.confirmSkip': 'Đã có {n} người trả lời câu này. Bỏ qua câu này? Câu trả lời của họ sẽ không được tính.',
  'h.keyWarn': 'Cửa sổ này trông như đang chiếu lên màn hình lớn (toàn màn hình hoặc cùng cỡ với màn hình chiếu): đáp án đang hiện có thể lộ cho cả phòng.',
  'h.keyOff': 'Ẩn đáp án',
  'err.never_asked': 'Câu này chưa từng được hỏi nên không thể hỏi lại. Hãy chọn một câu đã hỏi.',
  'm.checkedIn': 'Đã điểm danh lúc {time}',
  'm.quizOver': 'Phần thi đã kết thúc. Vui lòng chờ hoạt động tiếp theo…',
  'm.pollResults': 'Kết quả khảo sát',
  'h.meetingRunning': 'Đang diễn ra',
  'h.meetingEnded': 'Đã kết thúc',
  'h.meetingMembers': '{n} người tham gia',
};

export const en = {
  'q.resumesIn': 'Resuming in {s} s…',
  'q.resuming': 'Resuming',
  'q.reasked': 'Asked again',
  'm.skipped': 'Question {n} was skipped: your answer to it does not count.',
  'h.reask': 'Ask again question',
  'h.reaskHint': 'Clears the answers to this question and restarts its timer.',
  'h.confirmReask': 'Ask question {n} again? Its answers and points are cleared and its timer starts over.',
  'h.confirmSkip': '{n} people have already answered. Skip this question? Their answers will not count.',
  'h.keyWarn': 'This window looks like it is on the big screen (full screen, or the same size as the projector page): the answer key shown may be seen by the whole room.',
  'h.keyOff': 'Hide answer key',
  'err.never_asked': 'That question has never been asked, so it cannot be asked again. Choose one already asked.',
  'm.checkedIn': 'Checked in at {time}',
  'm.quizOver': 'The quiz is over. Please wait for the next activity…',
  'm.pollResults': 'Poll results',
  'h.meetingRunning': 'Running',
  'h.meetingEnded': 'Ended',
  'h.meetingMembers': '{n} members',
};
