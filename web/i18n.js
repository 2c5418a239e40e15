// Every user-visible string of the pages, in Vietnamese (default) and English.
//
// Both dictionaries have the same keys. `{name}` in a string is replaced by
// the `name` parameter; an English key may have a `_one` variant used when
// the `n` parameter is 1. Static text in the HTML is marked with
// `data-i18n="key"` (text), `data-i18n-placeholder`, `data-i18n-title` or
// `data-i18n-aria` and filled by `applyI18n`.

const vi = {
  'lang.switch': 'EN',
  'lang.switchLabel': 'Switch to English',
  'lang.vi': 'Tiếng Việt',
  'lang.en': 'Tiếng Anh',

  'status.connecting': 'Đang kết nối…',
  'status.offline': 'Mất kết nối, đang kết nối lại…',
  'status.retryIn': 'Mất kết nối, thử lại sau {s} giây…',
  'status.online': 'Đã kết nối',
  'status.stopped': 'Đã ngắt kết nối',

  'phase.lobby': 'Phòng chờ',
  'phase.question': 'Đang hỏi',
  'phase.reveal': 'Công bố đáp án',
  'phase.leaderboard': 'Bảng xếp hạng',
  'phase.podium': 'Vinh danh',
  'phase.ended': 'Đã kết thúc',

  'kind.single': 'Chọn một đáp án',
  'kind.multiple': 'Chọn tất cả đáp án đúng',
  'kind.true_false': 'Đúng hay sai?',
  'kind.typed': 'Nhập câu trả lời',
  'kind.poll': 'Bình chọn · không tính điểm',

  'q.counter': 'Câu {n}/{count}',
  'q.points': '{points} điểm',
  'q.seconds': '{s} giây',
  'q.opensIn': 'Trả lời sau {s} giây',
  'q.timeUp': 'Hết giờ',
  'q.right': 'Đúng',
  'q.wrong': 'Sai',

  'index.title': 'Tham gia buổi họp',
  'index.lead': 'Nhập mã PIN gồm 6 chữ số hiện trên màn hình chiếu.',
  'index.pin': 'Mã PIN',
  'index.join': 'Tham gia',
  'index.badPin': 'Mã PIN gồm đúng 6 chữ số.',
  'index.scan': 'Hoặc quét mã QR trên màn hình chiếu bằng camera điện thoại.',
  'index.host': 'Bạn là người chủ trì?',
  'index.hostLink': 'Mở bảng điều khiển',


  'm.joinTitle': 'Tham gia buổi họp',
  'm.name': 'Tên của bạn',
  'm.namePlaceholder': 'Ví dụ: Nguyễn Văn An',
  'm.nameHint': 'Tên của bạn sẽ hiện trên màn hình chiếu.',
  'm.nameEmpty': 'Vui lòng nhập tên của bạn.',
  'm.join': 'Tham gia',
  'm.joining': 'Đang vào…',
  'm.suggestion': 'Gợi ý: “{suggestion}” — bấm Tham gia để dùng tên này, hoặc sửa lại.',
  'm.hello': 'Xin chào {name}!',
  'm.inMeeting': 'Bạn đã vào buổi họp.',
  'm.waiting': 'Chờ chủ trì bắt đầu…',
  'm.lookUp': 'Câu hỏi cũng hiện trên màn hình chiếu.',
  'm.submit': 'Gửi câu trả lời',
  'm.pickSome': 'Chọn một hoặc nhiều đáp án, rồi bấm Gửi.',
  'm.typedPlaceholder': 'Nhập câu trả lời…',
  'm.sending': 'Đang gửi…',
  'm.received': 'Đã nhận câu trả lời',
  'm.receivedHint': 'Chờ công bố đáp án…',
  'm.yourAnswer': 'Bạn đã trả lời: {answer}',
  'm.noAnswer': 'Bạn chưa trả lời câu này',
  'm.timeUpHint': 'Chờ công bố đáp án…',
  'm.correct': 'Đúng rồi!',
  'm.wrong': 'Chưa đúng',
  'm.partial': 'Đúng một phần',
  'm.pollThanks': 'Cảm ơn bạn đã bình chọn',
  'm.earned': '+{points} điểm',
  'm.correctLabel': 'Đáp án đúng',
  'm.score': 'Tổng điểm: {score}',
  'm.rank': 'Hạng {rank}/{of}',
  'm.unranked': 'Chưa xếp hạng',
  'm.streak': '{n} câu đúng liên tiếp',
  'm.yourPlace': 'Vị trí của bạn',
  'm.top': 'Dẫn đầu',
  'm.finalTitle': 'Kết quả chung cuộc',
  'm.congrats': 'Chúc mừng bạn!',
  'm.thanks': 'Cảm ơn bạn đã tham gia!',
  'm.ended': 'Buổi họp đã kết thúc',
  'm.removed': 'Người chủ trì đã đưa bạn ra khỏi buổi họp.',
  'm.replaced': 'Bạn đã mở buổi họp này trên một màn hình khác.',
  'm.useHere': 'Dùng ở đây',
  'm.home': 'Về trang chủ',
  'm.reload': 'Tải lại trang',
  'm.you': 'Bạn',
  'm.explanation': 'Giải thích',

  's.joinAt': 'Tham gia tại',
  's.scan': 'Quét mã QR bằng điện thoại',
  's.pin': 'Mã PIN',
  's.joined': 'người đã tham gia',
  's.noMembers': 'Chưa có ai tham gia. Hãy quét mã để bắt đầu!',
  's.answered': 'đã trả lời',
  's.typedPrompt': 'Nhập câu trả lời trên điện thoại',
  's.correctCount': '{n}/{answered} trả lời đúng',
  's.pollCount': '{n} lượt bình chọn',
  's.accepted': 'Đáp án được chấp nhận',
  's.topTyped': 'Các câu trả lời nhiều nhất',
  's.source': 'Nguồn: {source}',
  's.leaderboard': 'Bảng xếp hạng',
  's.afterQuestion': 'Sau câu {n}/{count}',
  's.podium': 'Kết quả chung cuộc',
  's.ended': 'Buổi họp đã kết thúc',
  's.thanks': 'Cảm ơn các bạn đã tham gia!',
  's.noRanking': 'Chưa có ai ghi điểm.',
  's.points': 'điểm',
  's.reason.deadline': 'Hết giờ',
  's.reason.all_answered': 'Mọi người đã trả lời',
  's.reason.host': 'Chủ trì đã đóng câu hỏi',
  's.reason.deadline_passed_while_down': 'Hết giờ',

  'h.title': 'Bảng điều khiển',
  'h.controls': 'Điều khiển',
  'h.secretTitle': 'Nhập mã quản trị',
  'h.secretHelp': 'Mã quản trị được in ra khi khởi động máy chủ (đường dẫn “Host console”), hoặc nằm trong tệp host-secret của thư mục dữ liệu.',
  'h.secretLabel': 'Mã quản trị',
  'h.saveSecret': 'Tiếp tục',
  'h.wrongSecret': 'Sai mã quản trị. Vui lòng nhập lại.',
  'h.forgetSecret': 'Đăng xuất',
  'h.newMeeting': 'Tạo buổi họp mới',
  'h.bank': 'Bộ câu hỏi',
  'h.bankOption': '{title} · {language} · {n} câu',
  'h.noBanks': 'Chưa có bộ câu hỏi nào trên máy chủ.',
  'h.meetingTitle': 'Tên buổi họp',
  'h.meetingTitlePlaceholder': 'Ví dụ: Sinh hoạt chi bộ tháng 11',
  'h.meetingTitleHint': 'Để trống để dùng tên bộ câu hỏi.',
  'h.create': 'Tạo buổi họp',
  'h.creating': 'Đang tạo…',
  'h.meetings': 'Buổi họp trên máy chủ',
  'h.noMeetings': 'Chưa có buổi họp nào.',
  'h.open': 'Mở',
  'h.refresh': 'Làm mới',
  'h.loadFailed': 'Không tải được dữ liệu: {message}',
  'h.createFailed': 'Không tạo được buổi họp: {message}',
  'h.joinUrl': 'Địa chỉ tham gia',
  'h.openScreen': 'Mở màn hình chiếu',
  'h.otherMeetings': 'Buổi họp khác',
  'h.start': 'Bắt đầu',
  'h.next': 'Tiếp theo',
  'h.nextQuestion': 'Câu tiếp theo',
  'h.showPodium': 'Vinh danh',
  'h.reveal': 'Công bố đáp án',
  'h.skip': 'Bỏ qua câu này',
  'h.endQuiz': 'Kết thúc bài thi',
  'h.endMeeting': 'Đóng buổi họp',
  'h.confirmEndQuiz': 'Kết thúc bài thi ngay và chuyển sang vinh danh? Các câu còn lại sẽ không được hỏi.',
  'h.confirmEndMeeting': 'Đóng buổi họp? Thành viên sẽ không thể tham gia hay trả lời nữa.',
  'h.confirmKick': 'Đưa “{name}” ra khỏi buổi họp? Điểm của người này sẽ bị xoá khỏi bảng xếp hạng.',
  'h.confirm': 'Xác nhận',
  'h.cancel': 'Huỷ',
  'h.remove': 'Xoá',
  'h.removeLabel': 'Xoá {name} khỏi buổi họp',
  'h.members': 'Thành viên',
  'h.noMembersYet': 'Chưa có ai tham gia.',
  'h.online': 'Đang kết nối',
  'h.offline': 'Mất kết nối',
  'h.answered': 'Đã trả lời',
  'h.notAnswered': 'Chưa trả lời',
  'h.joined': 'Đã tham gia',
  'h.connected': 'Trực tuyến',
  'h.answeredCount': 'Đã trả lời',
  'h.answerKey': 'Đáp án',
  'h.showKey': 'Hiện đáp án',
  'h.noQuestion': 'Chưa có câu hỏi nào đang hiển thị.',
  'h.hint.lobby': 'Khi mọi người đã vào, bấm “Bắt đầu”.',
  'h.hint.question': 'Câu hỏi sẽ tự đóng khi hết giờ hoặc khi mọi người đã trả lời.',
  'h.hint.reveal': 'Đáp án đang hiện trên màn hình chiếu. Bấm “Tiếp theo” để tiếp tục.',
  'h.hint.leaderboard': 'Bảng xếp hạng đang hiện. Bấm “Tiếp theo” để tiếp tục.',
  'h.hint.podium': 'Bài thi đã xong. Bấm “Đóng buổi họp” khi kết thúc.',
  'h.hint.ended': 'Buổi họp đã đóng.',
  'h.copied': 'Đã sao chép',
  'h.copy': 'Sao chép',
  'h.leaderboardTitle': 'Xếp hạng hiện tại',

  'err.bad_message': 'Trang gửi một yêu cầu không hợp lệ. Hãy tải lại trang.',
  'err.unsupported_protocol': 'Trang này đã cũ so với máy chủ. Hãy tải lại trang.',
  'err.not_joined': 'Chưa vào buổi họp. Đang kết nối lại…',
  'err.unknown_meeting': 'Không có buổi họp nào với mã PIN này. Hãy kiểm tra mã trên màn hình chiếu.',
  'err.meeting_ended': 'Buổi họp này đã kết thúc.',
  'err.name_taken': 'Tên này đã có người dùng trong buổi họp.',
  'err.invalid_name': 'Tên cần từ 1 đến 32 ký tự.',
  'err.bad_token': 'Phiên tham gia không còn hiệu lực. Vui lòng nhập tên để tham gia lại.',
  'err.unauthorized': 'Sai mã quản trị.',
  'err.forbidden': 'Bạn không có quyền thực hiện thao tác này.',
  'err.not_open': 'Câu hỏi này không còn nhận câu trả lời.',
  'err.not_open_yet': 'Chưa đến lúc trả lời, vui lòng đợi giây lát.',
  'err.too_late': 'Hết giờ: câu trả lời đến quá muộn.',
  'err.already_answered': 'Bạn đã trả lời câu này rồi.',
  'err.option_out_of_range': 'Lựa chọn không hợp lệ.',
  'err.invalid_answer': 'Câu trả lời chưa hợp lệ.',
  'err.wrong_phase': 'Không thể thực hiện thao tác này ở bước hiện tại.',
  'err.unknown_member': 'Không tìm thấy thành viên này.',
  'err.rate_limited': 'Thao tác quá nhanh, vui lòng chậm lại.',
  'err.server_busy': 'Máy chủ đang bận, đang thử lại…',
  'err.storage_unavailable': 'Máy chủ không lưu được dữ liệu. Hãy báo người chủ trì kiểm tra máy chủ.',
  'err.network': 'Không kết nối được máy chủ.',
};

const en = {
  'lang.switch': 'VI',
  'lang.switchLabel': 'Chuyển sang tiếng Việt',
  'lang.vi': 'Vietnamese',
  'lang.en': 'English',

  'status.connecting': 'Connecting…',
  'status.offline': 'Connection lost, reconnecting…',
  'status.retryIn': 'Connection lost, retrying in {s} s…',
  'status.online': 'Connected',
  'status.stopped': 'Disconnected',

  'phase.lobby': 'Lobby',
  'phase.question': 'Question',
  'phase.reveal': 'Answer',
  'phase.leaderboard': 'Leaderboard',
  'phase.podium': 'Podium',
  'phase.ended': 'Ended',

  'kind.single': 'Choose one answer',
  'kind.multiple': 'Choose all correct answers',
  'kind.true_false': 'True or false?',
  'kind.typed': 'Type your answer',
  'kind.poll': 'Poll · no points',

  'q.counter': 'Question {n} of {count}',
  'q.points': '{points} points',
  'q.seconds': '{s} s',
  'q.opensIn': 'Answers open in {s} s',
  'q.timeUp': 'Time’s up',
  'q.right': 'Correct',
  'q.wrong': 'Wrong',

  'index.title': 'Join a meeting',
  'index.lead': 'Enter the 6-digit PIN shown on the projector.',
  'index.pin': 'PIN',
  'index.join': 'Join',
  'index.badPin': 'The PIN has exactly 6 digits.',
  'index.scan': 'Or scan the QR code on the projector with your phone’s camera.',
  'index.host': 'Running the meeting?',
  'index.hostLink': 'Open the host console',


  'm.joinTitle': 'Join the meeting',
  'm.name': 'Your name',
  'm.namePlaceholder': 'e.g. Jane Nguyen',
  'm.nameHint': 'Your name is shown on the projector.',
  'm.nameEmpty': 'Please enter your name.',
  'm.join': 'Join',
  'm.joining': 'Joining…',
  'm.suggestion': 'Suggestion: “{suggestion}” — press Join to use it, or edit it.',
  'm.hello': 'Hello, {name}!',
  'm.inMeeting': 'You are in the meeting.',
  'm.waiting': 'Waiting for the host to start…',
  'm.lookUp': 'Questions are also shown on the projector.',
  'm.submit': 'Submit answer',
  'm.pickSome': 'Pick one or more answers, then Submit.',
  'm.typedPlaceholder': 'Type your answer…',
  'm.sending': 'Sending…',
  'm.received': 'Answer received',
  'm.receivedHint': 'Waiting for the answer to be revealed…',
  'm.yourAnswer': 'Your answer: {answer}',
  'm.noAnswer': 'You did not answer this question',
  'm.timeUpHint': 'Waiting for the answer to be revealed…',
  'm.correct': 'Correct!',
  'm.wrong': 'Not quite',
  'm.partial': 'Partly right',
  'm.pollThanks': 'Thanks for voting',
  'm.earned': '+{points} points',
  'm.correctLabel': 'Correct answer',
  'm.score': 'Total: {score} points',
  'm.rank': 'Rank {rank} of {of}',
  'm.unranked': 'Not ranked yet',
  'm.streak': '{n} correct in a row',
  'm.yourPlace': 'Your place',
  'm.top': 'Top players',
  'm.finalTitle': 'Final result',
  'm.congrats': 'Congratulations!',
  'm.thanks': 'Thank you for taking part!',
  'm.ended': 'The meeting has ended',
  'm.removed': 'The host removed you from this meeting.',
  'm.replaced': 'You opened this meeting on another screen.',
  'm.useHere': 'Use it here',
  'm.home': 'Home',
  'm.reload': 'Reload the page',
  'm.you': 'You',
  'm.explanation': 'Explanation',

  's.joinAt': 'Join at',
  's.scan': 'Scan the QR code with your phone',
  's.pin': 'PIN',
  's.joined': 'joined',
  's.noMembers': 'Nobody has joined yet. Scan the code to start!',
  's.answered': 'answered',
  's.typedPrompt': 'Type your answer on your phone',
  's.correctCount': '{n} of {answered} correct',
  's.pollCount': '{n} votes',
  's.pollCount_one': '1 vote',
  's.accepted': 'Accepted answers',
  's.topTyped': 'Most common answers',
  's.source': 'Source: {source}',
  's.leaderboard': 'Leaderboard',
  's.afterQuestion': 'After question {n} of {count}',
  's.podium': 'Final result',
  's.ended': 'The meeting has ended',
  's.thanks': 'Thank you all for taking part!',
  's.noRanking': 'Nobody has scored yet.',
  's.points': 'points',
  's.reason.deadline': 'Time’s up',
  's.reason.all_answered': 'Everyone has answered',
  's.reason.host': 'Closed by the host',
  's.reason.deadline_passed_while_down': 'Time’s up',

  'h.title': 'Host console',
  'h.controls': 'Controls',
  'h.secretTitle': 'Enter the host secret',
  'h.secretHelp': 'The server prints it when it starts (the “Host console” link); it is also in the file host-secret in the data directory.',
  'h.secretLabel': 'Host secret',
  'h.saveSecret': 'Continue',
  'h.wrongSecret': 'Wrong host secret. Please try again.',
  'h.forgetSecret': 'Sign out',
  'h.newMeeting': 'New meeting',
  'h.bank': 'Question bank',
  'h.bankOption': '{title} · {language} · {n} questions',
  'h.noBanks': 'The server has no question banks.',
  'h.meetingTitle': 'Meeting title',
  'h.meetingTitlePlaceholder': 'e.g. Monthly cell meeting, November',
  'h.meetingTitleHint': 'Leave empty to use the bank’s title.',
  'h.create': 'Create meeting',
  'h.creating': 'Creating…',
  'h.meetings': 'Meetings on this server',
  'h.noMeetings': 'No meetings yet.',
  'h.open': 'Open',
  'h.refresh': 'Refresh',
  'h.loadFailed': 'Could not load: {message}',
  'h.createFailed': 'Could not create the meeting: {message}',
  'h.joinUrl': 'Join address',
  'h.openScreen': 'Open projector',
  'h.otherMeetings': 'Other meetings',
  'h.start': 'Start',
  'h.next': 'Next',
  'h.nextQuestion': 'Next question',
  'h.showPodium': 'Show podium',
  'h.reveal': 'Reveal answer',
  'h.skip': 'Skip question',
  'h.endQuiz': 'End quiz',
  'h.endMeeting': 'Close meeting',
  'h.confirmEndQuiz': 'End the quiz now and show the podium? The remaining questions will not be asked.',
  'h.confirmEndMeeting': 'Close the meeting? Members will no longer be able to join or answer.',
  'h.confirmKick': 'Remove “{name}” from the meeting? Their score leaves the leaderboard.',
  'h.confirm': 'Confirm',
  'h.cancel': 'Cancel',
  'h.remove': 'Remove',
  'h.removeLabel': 'Remove {name} from the meeting',
  'h.members': 'Members',
  'h.noMembersYet': 'Nobody has joined yet.',
  'h.online': 'Online',
  'h.offline': 'Offline',
  'h.answered': 'Answered',
  'h.notAnswered': 'Not answered',
  'h.joined': 'Joined',
  'h.connected': 'Online',
  'h.answeredCount': 'Answered',
  'h.answerKey': 'Answer key',
  'h.showKey': 'Show answer key',
  'h.noQuestion': 'No question is shown right now.',
  'h.hint.lobby': 'When everyone is in, press “Start”.',
  'h.hint.question': 'The question closes by itself when time is up or everyone has answered.',
  'h.hint.reveal': 'The answer is on the projector. Press “Next” to go on.',
  'h.hint.leaderboard': 'The leaderboard is on the projector. Press “Next” to go on.',
  'h.hint.podium': 'The quiz is over. Press “Close meeting” when you are done.',
  'h.hint.ended': 'The meeting is closed.',
  'h.copied': 'Copied',
  'h.copy': 'Copy',
  'h.leaderboardTitle': 'Current standings',

  'err.bad_message': 'The page sent a request the server did not understand. Please reload the page.',
  'err.unsupported_protocol': 'This page is out of date. Please reload it.',
  'err.not_joined': 'Not in the meeting yet. Reconnecting…',
  'err.unknown_meeting': 'There is no meeting with this PIN. Check the PIN on the projector.',
  'err.meeting_ended': 'This meeting has ended.',
  'err.name_taken': 'Someone in this meeting already uses this name.',
  'err.invalid_name': 'A name has 1 to 32 characters.',
  'err.bad_token': 'Your session is no longer valid. Enter your name to join again.',
  'err.unauthorized': 'Wrong host secret.',
  'err.forbidden': 'You are not allowed to do that.',
  'err.not_open': 'This question no longer takes answers.',
  'err.not_open_yet': 'Answers are not open yet; wait a moment.',
  'err.too_late': 'Time’s up: the answer arrived too late.',
  'err.already_answered': 'You have already answered this question.',
  'err.option_out_of_range': 'That option does not exist.',
  'err.invalid_answer': 'That answer is not valid.',
  'err.wrong_phase': 'That is not possible at this step.',
  'err.unknown_member': 'That member is not in the meeting.',
  'err.rate_limited': 'Too fast: please slow down.',
  'err.server_busy': 'The server is busy; retrying…',
  'err.storage_unavailable': 'The server cannot save data. Ask the organiser to check the server.',
  'err.network': 'Cannot reach the server.',
};

export const strings = { vi, en };
export const LANGS = ['vi', 'en'];
const KEY = 'handsup:lang';

function initialLang() {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  if (LANGS.includes(fromUrl)) return fromUrl;
  try {
    const saved = localStorage.getItem(KEY);
    if (LANGS.includes(saved)) return saved;
  } catch { /* storage may be disabled */ }
  return 'vi';
}

let lang = initialLang();
const listeners = new Set();

export function getLang() {
  return lang;
}

/** Looks `key` up in `language` (default: the current one) and fills `{params}`. */
export function tr(language, key, params = {}) {
  const dict = strings[language] || vi;
  let s = dict[key];
  if (params.n === 1 && dict[key + '_one'] !== undefined) s = dict[key + '_one'];
  if (s === undefined) s = vi[key];
  if (s === undefined) return key;
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

export function t(key, params) {
  return tr(lang, key, params);
}

export function has(key) {
  return key in vi;
}

export function setLang(next) {
  if (!LANGS.includes(next) || next === lang) return;
  lang = next;
  try {
    localStorage.setItem(KEY, next);
  } catch { /* ignore */ }
  applyI18n();
  for (const fn of listeners) fn(lang);
}

export function toggleLang() {
  setLang(lang === 'vi' ? 'en' : 'vi');
}

/** Calls `fn(lang)` after every language change. */
export function onLangChange(fn) {
  listeners.add(fn);
}

/**
 * A score or count. Plain digits: "1.850" reads as a decimal to English
 * readers and "1,850" to Vietnamese ones, and scores stay short.
 */
export function num(n) {
  return String(Math.round(Number(n) || 0));
}

/** The text to show for a protocol error `{code, message}` (or a fetch error). */
export function errorText(err) {
  if (!err) return '';
  const key = 'err.' + err.code;
  if (err.code && has(key)) return t(key);
  return err.message || String(err);
}

/** Fills every element marked with data-i18n* under `root`. */
export function applyI18n(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nAria));
  }
}

/** Wires a language toggle button (shows the other language's code). */
export function bindToggle(button) {
  const paint = () => {
    button.textContent = t('lang.switch');
    button.setAttribute('aria-label', t('lang.switchLabel'));
    button.title = t('lang.switchLabel');
    button.lang = lang === 'vi' ? 'en' : 'vi';
  };
  paint();
  button.addEventListener('click', toggleLang);
  onLangChange(paint);
}
